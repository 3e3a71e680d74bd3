package dev.faaster.api.invoke;

import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.ColdStartStages;
import java.util.Locale;

/** Response headers of an invocation. */
public final class InvocationHeaders {

  /** {@code true} when the invocation waited for a cold start. */
  public static final String COLD_START = "X-Faaster-Cold-Start";
  /** The version that ran. */
  public static final String VERSION = "X-Faaster-Version";
  /** The instance that ran it. */
  public static final String INSTANCE_ID = "X-Faaster-Instance-Id";
  /** The id the function saw. */
  public static final String INVOCATION_ID = "X-Faaster-Invocation-Id";
  /** {@code Unhandled} on a function error, as Lambda's X-Amz-Function-Error. */
  public static final String FUNCTION_ERROR = "X-Faaster-Function-Error";
  /** The cold start's stages in milliseconds, with how the VM was made and where the code came from. */
  public static final String COLD_START_STAGES = "X-Faaster-Cold-Start-Stages";
  /** The W3C Server-Timing header: browsers' and curl users' standard view of the stages. */
  public static final String SERVER_TIMING = "Server-Timing";

  private InvocationHeaders() {}

  /** {@code schedule;dur=3, vm;dur=41, code;dur=2, network;dur=0, load;dur=12, total;dur=60} */
  public static String serverTiming(ColdStartStages s) {
    return "schedule;dur=" + s.scheduleMillis()
        + ", vm;dur=" + s.vmMillis()
        + ", code;dur=" + s.codeMillis()
        + ", network;dur=" + s.networkMillis()
        + ", load;dur=" + s.loadMillis()
        + ", total;dur=" + s.totalMillis();
  }

  /** {@code schedule=3, vm=41, code=2, network=0, load=12, total=60, mode=restore, code-source=l1} */
  public static String stages(ColdStartResult result) {
    ColdStartStages s = result.stages();
    return "schedule=" + s.scheduleMillis()
        + ", vm=" + s.vmMillis()
        + ", code=" + s.codeMillis()
        + ", network=" + s.networkMillis()
        + ", load=" + s.loadMillis()
        + ", total=" + s.totalMillis()
        + ", mode=" + (result.mode() == null ? "unknown" : result.mode().name().toLowerCase(Locale.ROOT))
        + ", code-source=" + (result.codeSource() == null ? "unknown" : result.codeSource());
  }
}
