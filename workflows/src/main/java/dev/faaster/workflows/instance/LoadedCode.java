package dev.faaster.workflows.instance;

/**
 * Code loaded into a guest.
 *
 * @param files files unpacked
 * @param bytes bytes unpacked
 * @param guestMillis the guest's own time to unpack and import (python3 imports the handler here)
 */
public record LoadedCode(int files, long bytes, long guestMillis) {}
