package dev.faaster.workflows.template;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Template steps that must run on the node: its images, its hypervisor, its /dev/shm. */
@ActivityInterface
public interface TemplateNodeActivities {

  /** Reads the runtime's guest image and the hypervisor's facts, and digests them. */
  @ActivityMethod
  TemplateInputs describeInputs(String runtime);

  /** Whether this node still has the template's files (/dev/shm doesn't survive a reboot). */
  @ActivityMethod
  boolean holdsTemplate(String templateId);

  /**
   * Boots the base VM with file-backed memory, waits for the agent (which warms the runtime),
   * pauses it and saves its device state. Heartbeats while it boots.
   *
   * @param templateId names the files; a second call with the same id rebuilds them from scratch
   */
  @ActivityMethod
  BuiltTemplate bootAndSnapshot(String templateId, TemplateInputs inputs);

  /** Compensation of {@link #bootAndSnapshot}: removes the files and any leftover domain. */
  @ActivityMethod
  void deleteTemplate(String templateId);
}
