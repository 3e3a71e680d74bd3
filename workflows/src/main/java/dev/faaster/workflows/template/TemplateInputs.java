package dev.faaster.workflows.template;

/**
 * Everything a template's saved state depends on. Two builds with the same {@code inputsDigest}
 * give interchangeable templates; any difference means a rebuild.
 *
 * @param runtime the runtime
 * @param kernelPath guest kernel on the node
 * @param initramfsPath guest initramfs (agent and runtime) on the node
 * @param kernelDigest sha256 of the kernel
 * @param initramfsDigest sha256 of the initramfs
 * @param qemuVersion QEMU's version string
 * @param machine QEMU machine type
 * @param accelerator kvm or tcg
 * @param memoryMb guest memory
 * @param inputsDigest sha256 over all of the above
 */
public record TemplateInputs(
    String runtime,
    String kernelPath,
    String initramfsPath,
    String kernelDigest,
    String initramfsDigest,
    String qemuVersion,
    String machine,
    String accelerator,
    int memoryMb,
    String inputsDigest) {}
