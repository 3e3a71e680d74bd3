package dev.faaster.vm;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Builds code packages (zip files) with Unix file modes, which java.util.zip can't write: a
 * {@code bootstrap} must arrive executable. Entries are stored uncompressed; names are written as
 * given, {@code ../} included, so tests can build hostile packages too.
 */
final class CodePackage {

  private record Entry(String name, byte[] content, int mode) {}

  private final List<Entry> entries = new ArrayList<>();

  /** A regular file with permission bits {@code perm} (e.g. 0755). */
  CodePackage file(String name, String content, int perm) {
    entries.add(new Entry(name, content.getBytes(StandardCharsets.UTF_8), 0100000 | perm));
    return this;
  }

  /** The package with an executable {@code bootstrap} shell script and nothing else. */
  static byte[] bootstrap(String script) {
    return new CodePackage().file("bootstrap", script, 0755).zip();
  }

  byte[] zip() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream central = new ByteArrayOutputStream();
    int dosTime = 0; // 00:00:00
    int dosDate = (1 << 5) | 1; // 1980-01-01: equal content, equal bytes
    for (Entry e : entries) {
      byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
      CRC32 crc = new CRC32();
      crc.update(e.content());
      int offset = out.size();
      ByteBuffer local = le(30 + name.length);
      local.putInt(0x04034b50).putShort((short) 20).putShort((short) 0x0800).putShort((short) 0)
          .putShort((short) dosTime).putShort((short) dosDate).putInt((int) crc.getValue())
          .putInt(e.content().length).putInt(e.content().length).putShort((short) name.length).putShort((short) 0)
          .put(name);
      out.writeBytes(local.array());
      out.writeBytes(e.content());
      ByteBuffer cd = le(46 + name.length);
      cd.putInt(0x02014b50).putShort((short) ((3 << 8) | 20)).putShort((short) 20).putShort((short) 0x0800)
          .putShort((short) 0).putShort((short) dosTime).putShort((short) dosDate).putInt((int) crc.getValue())
          .putInt(e.content().length).putInt(e.content().length).putShort((short) name.length).putShort((short) 0)
          .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(e.mode() << 16).putInt(offset)
          .put(name);
      central.writeBytes(cd.array());
    }
    int cdOffset = out.size();
    out.writeBytes(central.toByteArray());
    ByteBuffer end = le(22);
    end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) entries.size())
        .putShort((short) entries.size()).putInt(central.size()).putInt(cdOffset).putShort((short) 0);
    out.writeBytes(end.array());
    return out.toByteArray();
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }
}
