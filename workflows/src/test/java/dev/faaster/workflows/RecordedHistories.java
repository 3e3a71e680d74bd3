package dev.faaster.workflows;

import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.testing.WorkflowHistoryLoader;
import java.util.List;

/** What the replay tests read from a recorded history (a resource under histories/). */
public final class RecordedHistories {

  private RecordedHistories() {}

  /** Activity types in the order they were scheduled. */
  public static List<String> activityTypes(String resource) throws Exception {
    return WorkflowHistoryLoader.readHistoryFromResource(resource).getEvents().stream()
        .filter(HistoryEvent::hasActivityTaskScheduledEventAttributes)
        .map(event -> event.getActivityTaskScheduledEventAttributes().getActivityType().getName())
        .toList();
  }

  /** How many local activities completed (each leaves a marker). */
  public static long localActivityMarkers(String resource) throws Exception {
    return WorkflowHistoryLoader.readHistoryFromResource(resource).getEvents().stream()
        .filter(HistoryEvent::hasMarkerRecordedEventAttributes)
        .filter(event -> event.getMarkerRecordedEventAttributes().getMarkerName().equals("LocalActivity"))
        .count();
  }

  public static EventType lastEventType(String resource) throws Exception {
    return WorkflowHistoryLoader.readHistoryFromResource(resource).getLastEvent().getEventType();
  }
}
