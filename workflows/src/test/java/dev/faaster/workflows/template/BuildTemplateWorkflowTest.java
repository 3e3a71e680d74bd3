package dev.faaster.workflows.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class BuildTemplateWorkflowTest {

  static final String NODE = "node-a";
  static final TemplateInputs INPUTS =
      new TemplateInputs("python3", "/img/vmlinuz", "/img/initramfs", "k".repeat(64), "i".repeat(64), "7.2.0", "pc", "tcg", 128, "d".repeat(64));
  static final BuiltTemplate BUILT = new BuiltTemplate("/dev/shm/t.mem", "/dev/shm/t.state", 230_000, 5_000, 20);

  private TestWorkflowEnvironment env;
  private TemplateNodeActivities node;
  private TemplateRegistryActivities registry;

  @BeforeEach
  void setUp() {
    env = TestWorkflowEnvironment.newInstance();
    node = mock(TemplateNodeActivities.class, withSettings().withoutAnnotations());
    registry = mock(TemplateRegistryActivities.class, withSettings().withoutAnnotations());
    when(node.describeInputs("python3")).thenReturn(INPUTS);
    when(node.bootAndSnapshot(anyString(), eq(INPUTS))).thenReturn(BUILT);
    when(node.holdsTemplate(anyString())).thenReturn(true);
    Worker control = env.newWorker(TaskQueues.CONTROL);
    control.registerWorkflowImplementationTypes(BuildTemplateWorkflowImpl.class);
    control.registerActivitiesImplementations(registry);
    // The node's own queue: only the node that owns /dev/shm and the hypervisor polls it.
    env.newWorker(NodeTaskQueues.of(NODE)).registerActivitiesImplementations(node);
    env.start();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private TemplateResult build() {
    WorkflowClient client = env.getWorkflowClient();
    BuildTemplateWorkflow workflow =
        client.newWorkflowStub(
            BuildTemplateWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(TaskQueues.CONTROL)
                .setWorkflowId(BuildTemplateWorkflow.idOf(NODE, "python3"))
                .build());
    return workflow.build(new BuildTemplateRequest(NODE, "python3"));
  }

  @Test
  void aTemplateWithTheSameInputsIsReusedWithoutBooting() {
    when(registry.findReady(NODE, "python3", INPUTS.inputsDigest()))
        .thenReturn(new TemplateResult("tpl-1", "python3", INPUTS.inputsDigest(), false, 5_000));

    TemplateResult result = build();

    assertThat(result.reused()).isTrue();
    assertThat(result.templateId()).isEqualTo("tpl-1");
    verify(node, never()).bootAndSnapshot(anyString(), any());
    verify(registry, never()).recordTemplate(anyString(), anyString(), any(), any());
  }

  @Test
  void aRecordedTemplateWhoseFilesTheNodeLostIsRebuilt() {
    when(registry.findReady(NODE, "python3", INPUTS.inputsDigest()))
        .thenReturn(new TemplateResult("tpl-1", "python3", INPUTS.inputsDigest(), false, 5_000));
    when(node.holdsTemplate("tpl-1")).thenReturn(false);

    TemplateResult result = build();

    assertThat(result.reused()).isFalse();
    assertThat(result.templateId()).isNotEqualTo("tpl-1");
    verify(node).bootAndSnapshot(anyString(), eq(INPUTS));
  }

  @Test
  void changedInputsBuildANewTemplateAndRecordIt() {
    when(registry.findReady(NODE, "python3", INPUTS.inputsDigest())).thenReturn(null);

    TemplateResult result = build();

    ArgumentCaptor<String> built = ArgumentCaptor.forClass(String.class);
    ArgumentCaptor<String> recorded = ArgumentCaptor.forClass(String.class);
    verify(node).bootAndSnapshot(built.capture(), eq(INPUTS));
    verify(registry).recordTemplate(eq(NODE), recorded.capture(), eq(INPUTS), eq(BUILT));
    assertThat(result.reused()).isFalse();
    assertThat(result.templateId()).isEqualTo(built.getValue()).isEqualTo(recorded.getValue());
    assertThat(result.bootMillis()).isEqualTo(5_000);
  }

  @Test
  void aTransientBootFailureIsRetriedOnTheNode() {
    when(registry.findReady(NODE, "python3", INPUTS.inputsDigest())).thenReturn(null);
    when(node.bootAndSnapshot(anyString(), eq(INPUTS)))
        .thenThrow(new IllegalStateException("libvirtd restarting"))
        .thenReturn(BUILT);

    assertThat(build().reused()).isFalse();
    verify(node, times(2)).bootAndSnapshot(anyString(), eq(INPUTS));
  }

  @Test
  void failingToRecordDeletesTheBuiltTemplate() {
    when(registry.findReady(NODE, "python3", INPUTS.inputsDigest())).thenReturn(null);
    doThrow(ApplicationFailure.newNonRetryableFailure("node unknown", TemplateFailureTypes.UNKNOWN_RUNTIME))
        .when(registry).recordTemplate(anyString(), anyString(), any(), any());

    WorkflowFailedException failure = catchThrowableOfType(this::build, WorkflowFailedException.class);

    ArgumentCaptor<String> built = ArgumentCaptor.forClass(String.class);
    verify(node).bootAndSnapshot(built.capture(), eq(INPUTS));
    verify(node).deleteTemplate(built.getValue());
    assertThat(failure.getCause()).isInstanceOf(ActivityFailure.class);
    assertThat(((ApplicationFailure) failure.getCause().getCause()).getType()).isEqualTo(TemplateFailureTypes.UNKNOWN_RUNTIME);
  }

  @Test
  void anAgentThatNeverAnswersIsNotRetriedAndLeavesNothing() {
    when(registry.findReady(NODE, "python3", INPUTS.inputsDigest())).thenReturn(null);
    when(node.bootAndSnapshot(anyString(), eq(INPUTS)))
        .thenThrow(ApplicationFailure.newFailure("no READY in 60 s", TemplateFailureTypes.AGENT_NEVER_READY));

    catchThrowableOfType(this::build, WorkflowFailedException.class);

    ArgumentCaptor<String> built = ArgumentCaptor.forClass(String.class);
    verify(node, times(1)).bootAndSnapshot(built.capture(), eq(INPUTS));
    verify(node).deleteTemplate(built.getValue());
  }
}
