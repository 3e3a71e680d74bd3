package dev.faaster.zonecache.store;

import java.nio.file.attribute.FileTime;

/**
 * What a stat of an entry's file says. An entry is trusted while its file still has the state it
 * had when its digest was last checked; any write or replacement changes it.
 *
 * @param sizeBytes file size
 * @param modified last modification time
 * @param fileKey the file's identity (device and inode on Linux), null where unsupported
 */
record FileState(long sizeBytes, FileTime modified, Object fileKey) {}
