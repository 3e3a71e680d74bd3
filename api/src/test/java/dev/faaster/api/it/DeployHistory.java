package dev.faaster.api.it;

import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.ActivityTaskStartedEventAttributes;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A deploy workflow's history as read from the server, by activity type. Temporal writes an
 * activity's Started event only once the activity finishes, with the attempt that finished it, so
 * a retried activity shows one Scheduled event and one Started event whose attempt is above 1.
 */
final class DeployHistory {

  private final List<HistoryEvent> events;
  private final Map<Long, String> typeByScheduledId = new HashMap<>();

  private DeployHistory(List<HistoryEvent> events) {
    this.events = events;
    for (HistoryEvent event : events) {
      if (event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        typeByScheduledId.put(event.getEventId(), event.getActivityTaskScheduledEventAttributes().getActivityType().getName());
      }
    }
  }

  static DeployHistory fetch(WorkflowClient client, String workflowId) {
    return new DeployHistory(client.fetchHistory(workflowId).getEvents());
  }

  /** Activity types in the order they were scheduled. */
  List<String> scheduled() {
    List<String> types = new ArrayList<>();
    for (HistoryEvent event : events) {
      if (event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        types.add(event.getActivityTaskScheduledEventAttributes().getActivityType().getName());
      }
    }
    return types;
  }

  /** Activity types in the order they completed successfully. */
  List<String> completed() {
    List<String> types = new ArrayList<>();
    for (HistoryEvent event : events) {
      if (event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        types.add(typeByScheduledId.get(event.getActivityTaskCompletedEventAttributes().getScheduledEventId()));
      }
    }
    return types;
  }

  /** The JSON result of the completed activities of one type, in completion order. */
  List<String> results(String activityType) {
    List<String> results = new ArrayList<>();
    for (HistoryEvent event : events) {
      if (event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        var completed = event.getActivityTaskCompletedEventAttributes();
        if (activityType.equals(typeByScheduledId.get(completed.getScheduledEventId()))) {
          results.add(completed.getResult().getPayloadsCount() == 0 ? "" : completed.getResult().getPayloads(0).getData().toStringUtf8());
        }
      }
    }
    return results;
  }

  /** The Started events of one activity type (one per Scheduled event once it has finished). */
  List<ActivityTaskStartedEventAttributes> started(String activityType) {
    List<ActivityTaskStartedEventAttributes> started = new ArrayList<>();
    for (HistoryEvent event : events) {
      if (event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        ActivityTaskStartedEventAttributes attributes = event.getActivityTaskStartedEventAttributes();
        if (activityType.equals(typeByScheduledId.get(attributes.getScheduledEventId()))) {
          started.add(attributes);
        }
      }
    }
    return started;
  }

  Optional<EventType> last() {
    return events.isEmpty() ? Optional.empty() : Optional.of(events.get(events.size() - 1).getEventType());
  }

  /** One line per event, for failure messages. */
  String summary() {
    return events.stream()
        .map(
            e -> {
              String type = e.getEventType().name().replace("EVENT_TYPE_", "");
              String activity =
                  switch (e.getEventType()) {
                    case EVENT_TYPE_ACTIVITY_TASK_SCHEDULED -> " " + typeByScheduledId.get(e.getEventId());
                    case EVENT_TYPE_ACTIVITY_TASK_STARTED -> " "
                        + typeByScheduledId.get(e.getActivityTaskStartedEventAttributes().getScheduledEventId())
                        + " attempt "
                        + e.getActivityTaskStartedEventAttributes().getAttempt()
                        + " by "
                        + e.getActivityTaskStartedEventAttributes().getIdentity();
                    case EVENT_TYPE_ACTIVITY_TASK_COMPLETED -> " "
                        + typeByScheduledId.get(e.getActivityTaskCompletedEventAttributes().getScheduledEventId());
                    default -> "";
                  };
              return "  " + e.getEventId() + " " + type + activity;
            })
        .collect(Collectors.joining("\n", "history:\n", ""));
  }
}
