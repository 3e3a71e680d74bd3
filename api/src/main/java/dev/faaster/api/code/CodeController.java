package dev.faaster.api.code;

import dev.faaster.api.ApiRole;
import dev.faaster.api.auth.Caller;
import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.functions.CodeView;
import dev.faaster.api.functions.FunctionService;
import dev.faaster.registry.FunctionRecord;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Put;
import io.micronaut.http.server.types.files.StreamedFile;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.InputStream;

/** Upload and download of a function's $LATEST code package. */
@Controller("/v1/functions/{name}/code")
@ExecuteOn(TaskExecutors.BLOCKING)
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
@Tag(name = "code")
public class CodeController {

  static final String ZIP = "application/zip";

  private final CodeService code;
  private final FunctionService functions;

  public CodeController(CodeService code, FunctionService functions) {
    this.code = code;
    this.functions = functions;
  }

  @Operation(summary = "Upload the $LATEST code package (a zip, streamed as the request body)")
  @Put(consumes = {ZIP, MediaType.APPLICATION_OCTET_STREAM})
  public CodeView upload(Caller caller, String name, @Nullable @Body InputStream body) {
    // An empty body binds no stream; it is an empty package (PACKAGE_EMPTY), not a malformed request.
    return code.upload(caller.tenant(), name, body == null ? InputStream.nullInputStream() : body);
  }

  @Operation(summary = "Download the $LATEST code package")
  @Get(produces = ZIP)
  public StreamedFile download(Caller caller, String name) {
    FunctionRecord function = functions.require(caller.tenant(), name);
    if (!function.hasCode()) {
      throw new ApiException(HttpStatus.NOT_FOUND, ErrorCode.NO_CODE, "'" + name + "' has no code yet; upload a zip first.");
    }
    return new StreamedFile(code.open(function.codeStagingKey()), MediaType.of(ZIP)).attach(name + ".zip");
  }
}
