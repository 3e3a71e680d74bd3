package dev.faaster.workflows.instance;

import java.util.Map;

/**
 * What to load into an instance's guest.
 *
 * @param runtime the runtime ({@code provided}, {@code python3})
 * @param handler {@code module.function} for python3; null for provided
 * @param codePath the package on the node (the L1 cache entry the instance holds)
 * @param codeSha256 the package digest, checked again by the guest
 * @param functionName for the guest's context object
 * @param version the published version, for the guest's context object
 * @param memoryMb the function's memory, for the guest's context object
 * @param environment the function's environment variables
 */
public record GuestCode(
    String runtime,
    String handler,
    String codePath,
    String codeSha256,
    String functionName,
    int version,
    int memoryMb,
    Map<String, String> environment) {}
