#!/usr/bin/env bash
# Builds the guest image of one runtime from Debian packages and the project's guest agent:
#
#   infra/guest/build-image.sh provided|python3 [--force]
#
# Output: .data/images/<runtime>-<digest>/{vmlinuz,vmlinux,initramfs.cpio.gz,initramfs.cpio,
# manifest.json}; the directory is printed on stdout (progress goes to stderr). The manifest's
# bootKernel/bootInitrd name the files to boot: vmlinux (PVH entry: no in-guest XZ
# decompression) and the uncompressed cpio (no in-guest inflate), each worth seconds under
# TCG. <digest> covers every input: the Debian package versions (kernel, busybox, python and
# its libraries), the module list, the agent's source tree, the Go version, this script and
# the /init script. An image whose inputs did not change is reused without touching apt;
# --force rebuilds it. See infra/guest/README.md.
#
# Nothing is installed on the host: packages are fetched with `apt-get download` into
# .data/guest/debs and unpacked with `dpkg -x` into scratch directories. vmlinux and the
# initramfs are reproducible (sorted cpio with fixed inode numbers, owners and mtimes, gzip
# without name or time, Go built with -trimpath and an empty build id, hash-based .pyc).
set -euo pipefail
# shellcheck source=../scripts/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../scripts/common.sh"

RUNTIME="${1:-}"
FORCE=0
[[ "${2:-}" == --force ]] && FORCE=1
case "$RUNTIME" in
  provided | python3) ;;
  *) die "usage: $0 provided|python3 [--force]" ;;
esac

HERE="$FAASTER_ROOT/infra/guest"
GUEST_SRC="$FAASTER_ROOT/guest"
DATA="${FAASTER_DATA:-$FAASTER_ROOT/.data}"
DEBS="$DATA/guest/debs"
KCACHE="$DATA/guest/kernel"
IMAGES="$DATA/images"

# Kernel modules the guest needs, by module name. Anything the kernel has built in is
# skipped (decided from modules.builtin); dependencies come from modules.dep.
# virtio-rng: with QEMU's virtio-rng-pci the CRNG is ready at boot; without it, the python3
# helper's first getrandom() waited about 1.5 s for jitter entropy under TCG.
# 9p, 9pnet_virtio: the code share, a read-only 9p export of the node's unpacked package that
# the agent mounts after a restore (loaded at boot, so templates hold the bound driver).
MODULES=(virtio_pci virtio_console virtio_net virtio-rng 9p 9pnet_virtio)
# Kernel command line the host should boot this image with (recorded in the manifest).
# psi=0: pressure-stall accounting runs on every context switch and nothing in the guest reads
# it; under TCG a restored clone translates every kernel path it takes before its first answer.
CMDLINE="console=ttyS0 quiet panic=-1 nowatchdog tsc=reliable no_timer_check 8250.nr_uarts=1 i8042.noaux i8042.nokbd i8042.nopnp cryptomgr.notests psi=0"
MEMORY_MIB=128

# python3: stdlib modules added to libpython3.11-minimal's (from libpython3.11-stdlib), and
# C extension modules (lib-dynload) whose only dependency is libc.
# (No zoneinfo: the image has no tz database.)
PY_STDLIB_EXTRA=(json shutil uuid hmac secrets dataclasses contextvars decimal _pydecimal numbers
  fractions statistics shlex queue pprint gzip _compression difflib graphlib)
PY_DYNLOAD=(_json _contextvars _queue _typing mmap resource)
# Must import in the image, or the build fails.
PY_IMPORT_CHECK="json zipfile importlib importlib.util traceback os sys io time struct select random
  tempfile shutil uuid datetime base64 hashlib hmac secrets dataclasses decimal collections logging
  typing urllib.parse subprocess threading socket contextvars queue"

step() { log "[$RUNTIME] $*"; }
t_start=$SECONDS

GO="$(go_bin)" || die "Go is needed to build the guest's unpack program (https://go.dev/dl, or apt)"
command -v musl-gcc >/dev/null || die "musl-gcc is needed to build the guest agent (apt-get install musl-tools; infra/scripts/setup-host.sh does)"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "apt-get and dpkg-deb are needed (Debian host)"

# ---- resolve inputs ---------------------------------------------------------------------
# (awk reads to the end: an early exit would SIGPIPE apt-cache and fail the pipeline.)
apt_version() { apt-cache show --no-all-versions "$1" 2>/dev/null | awk '/^Version:/ && !v {v = $2} END {print v}'; }

KPKG="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ && !k {k = $2} END {print k}')"
[[ -n "$KPKG" ]] || die "can't resolve linux-image-amd64 (run apt-get update?)"
PKGS=("$KPKG" busybox-static)
if [[ "$RUNTIME" == python3 ]]; then
  PKGS+=(python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libc6 zlib1g libexpat1)
fi
declare -A VER
for p in "${PKGS[@]}"; do
  VER[$p]="$(apt_version "$p")"
  [[ -n "${VER[$p]}" ]] || die "no candidate version for $p"
done

agent_tree_digest() {
  # Files that end up in the image: the C agent (guest/native, not its tests), the Go unpack
  # program and the packages it uses, the python3 helper; host-only code and tests don't.
  (cd "$GUEST_SRC" && find . -type f \( -path './native/*' -o -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.py' \) \
    ! -name '*_test.go' ! -path './native/tests/*' ! -path './native/build/*' ! -path './cmd/agentctl/*' \
    ! -path './client/*' ! -path './conformance/*' ! -path '*/testdata/*' \
    -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}
AGENT_DIGEST="$(agent_tree_digest)"
GO_VERSION="$("$GO" env GOVERSION)"
CC_VERSION="$(musl-gcc --version | head -1), musl $(dpkg-query -W -f='${Version}' musl-dev 2>/dev/null || echo unknown)"

DIGEST="$({
  echo "runtime=$RUNTIME"
  for p in "${PKGS[@]}"; do echo "pkg $p=${VER[$p]}"; done | LC_ALL=C sort
  echo "modules=${MODULES[*]}"
  echo "go=$GO_VERSION"
  echo "cc=$CC_VERSION"
  echo "agent=$AGENT_DIGEST"
  sha256sum <"${BASH_SOURCE[0]}"
  sha256sum <"$HERE/init"
} | sha256sum | cut -c1-16)"
OUT="$IMAGES/$RUNTIME-$DIGEST"

image_complete() {
  local boot
  [[ -f "$OUT/manifest.json" && -f "$OUT/vmlinuz" && -f "$OUT/initramfs.cpio.gz" && -f "$OUT/initramfs.cpio" ]] || return 1
  boot="$(sed -n 's/^  "bootKernel": "\(.*\)",$/\1/p' "$OUT/manifest.json")"
  [[ -n "$boot" && -f "$OUT/$boot" ]]
}
if [[ $FORCE -eq 0 ]] && image_complete; then
  step "image $RUNTIME-$DIGEST is up to date (inputs unchanged)"
  printf '%s\n' "$OUT"
  exit 0
fi

mkdir -p "$DEBS" "$KCACHE" "$IMAGES"
# One lock for all runtimes: builds share the kernel cache (unpack, depmod, vmlinux).
exec 9>"$IMAGES/.lock"
flock -w 900 9 || die "another image build holds $IMAGES/.lock for 15 minutes"
if [[ $FORCE -eq 0 ]] && image_complete; then
  step "image $RUNTIME-$DIGEST was built while waiting for the lock"
  printf '%s\n' "$OUT"
  exit 0
fi
step "building image $RUNTIME-$DIGEST"

SCR="$(mktemp -d "$IMAGES/.build-$RUNTIME.XXXXXX")"
trap 'rm -rf "$SCR"' EXIT
R="$SCR/rootfs"

# ---- fetch packages -----------------------------------------------------------------------
deb_file() { # prints the cached .deb of package $1 at version $2, if any
  local f
  for f in "$DEBS/$1"_*.deb; do
    [[ -f "$f" ]] || continue
    [[ "$(dpkg-deb -f "$f" Package)" == "$1" && "$(dpkg-deb -f "$f" Version)" == "$2" ]] && { printf '%s\n' "$f"; return 0; }
  done
  return 1
}
fetch() {
  local p="$1" v="$2" f
  if f="$(deb_file "$p" "$v")"; then printf '%s\n' "$f"; return; fi
  step "downloading $p $v"
  if ! (cd "$DEBS" && apt-get -q -o APT::Sandbox::User=root download "$p=$v" >&2); then
    step "apt-get download failed; refreshing package lists and retrying"
    apt-get -q update >&2
    (cd "$DEBS" && apt-get -q -o APT::Sandbox::User=root download "$p=$v" >&2)
  fi
  deb_file "$p" "$v" || die "downloaded $p but found no $p $v .deb in $DEBS"
}
declare -A DEB
for p in "${PKGS[@]}"; do DEB[$p]="$(fetch "$p" "${VER[$p]}")"; done

# ---- kernel ---------------------------------------------------------------------------------
KDIR="$KCACHE/$KPKG-${VER[$KPKG]}"
if [[ ! -f "$KDIR/.complete" ]]; then
  step "unpacking $KPKG ${VER[$KPKG]} (once per kernel version)"
  rm -rf "$KDIR" && mkdir -p "$KDIR"
  dpkg -x "${DEB[$KPKG]}" "$KDIR"
  touch "$KDIR/.complete"
fi
kdirs=("$KDIR"/lib/modules/*/)
KREL="$(basename "${kdirs[0]}")"
KMOD="$KDIR/lib/modules/$KREL"
KCONFIG="$KDIR/boot/config-$KREL"
[[ -f "$KDIR/boot/vmlinuz-$KREL" && -f "$KCONFIG" ]] || die "no vmlinuz/config for $KREL in $KPKG"

# vmlinux: the uncompressed ELF kernel inside vmlinuz. With CONFIG_PVH QEMU boots it directly
# (-kernel vmlinux), which skips the in-guest XZ decompression: about 4 s under TCG here.
BOOT_KERNEL=vmlinuz
if grep -qx 'CONFIG_PVH=y' "$KCONFIG"; then
  if [[ ! -s "$KDIR/vmlinux" ]]; then
    grep -qx 'CONFIG_KERNEL_XZ=y' "$KCONFIG" || die "vmlinuz is not XZ-compressed; extend the vmlinux extraction"
    command -v xz >/dev/null || die "xz (xz-utils) is needed to extract vmlinux"
    off="$(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' "$KDIR/boot/vmlinuz-$KREL" | { IFS=: read -r o _ && echo "$o"; cat >/dev/null; })"
    [[ -n "$off" ]] || die "no XZ stream in vmlinuz-$KREL"
    step "kernel: extracting vmlinux (XZ stream at byte $off of vmlinuz)"
    # (xz stops at the stream's end; fed through a process substitution so tail's SIGPIPE
    # on the rest of the file doesn't fail a pipeline)
    xz -dc --single-stream < <(tail -c +$((off + 1)) "$KDIR/boot/vmlinuz-$KREL") >"$KDIR/vmlinux.tmp"
    [[ "$(head -c 4 "$KDIR/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" == 7f454c46 ]] || die "extracted vmlinux is not ELF"
    mv "$KDIR/vmlinux.tmp" "$KDIR/vmlinux"
  fi
  BOOT_KERNEL=vmlinux
fi

dpkg -x "${DEB[busybox-static]}" "$SCR/busybox"
BB="$SCR/busybox/bin/busybox"
[[ -x "$BB" ]] || die "busybox-static has no bin/busybox"
if [[ ! -f "$KMOD/modules.dep" ]]; then
  step "depmod for $KREL (busybox depmod; the package ships no modules.dep)"
  "$BB" depmod -b "$KDIR" "$KREL"
fi

declare -A MOD_DONE=()
MOD_ORDER=()
resolve_module() { # $1: path relative to $KMOD; appends it after its dependencies
  local path="$1" dep deps
  [[ -n "${MOD_DONE[$path]:-}" ]] && return
  MOD_DONE[$path]=1
  deps="$(awk -v p="$path:" '$1 == p { $1 = ""; print; exit }' "$KMOD/modules.dep")"
  for dep in $deps; do resolve_module "$dep"; done
  MOD_ORDER+=("$path")
}
for m in "${MODULES[@]}"; do
  sym="CONFIG_$(tr 'a-z-' 'A-Z_' <<<"$m")"
  [[ "$m" == virtio-rng ]] && sym=CONFIG_HW_RANDOM_VIRTIO
  cfg="$(grep -E "^$sym=" "$KCONFIG" || echo "$sym: no such option")"
  if grep -qE "/$m\.ko(\.[a-z]+)?$" "$KMOD/modules.builtin"; then
    step "kernel: $m is built in ($cfg)"
    continue
  fi
  path="$(awk -F: -v m="/$m.ko" 'index($1, m) && substr($1, length($1) - length(m) + 1) == m { print $1; exit }' "$KMOD/modules.dep")"
  [[ -n "$path" ]] || die "kernel $KREL has module $m neither built in nor in modules.dep"
  step "kernel: $m is a module ($cfg)"
  resolve_module "$path"
done
step "kernel: loading ${#MOD_ORDER[@]} modules: $(for p in "${MOD_ORDER[@]}"; do basename "$p" .ko; done | tr '\n' ' ')"

# ---- root file system -----------------------------------------------------------------------
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib/modules,lib64,proc,sys,dev,tmp,run,root,etc/faaster,var}
chmod 1777 "$R/tmp"
ln -s /tmp "$R/var/tmp"
cp "$BB" "$R/bin/busybox"
while read -r applet; do
  [[ "$applet" == bin/busybox || -e "$R/$applet" ]] && continue
  mkdir -p "$R/$(dirname "$applet")"
  ln -s /bin/busybox "$R/$applet"
done < <("$BB" --list-full | LC_ALL=C sort)

for p in "${MOD_ORDER[@]}"; do
  mkdir -p "$R/lib/modules/$(dirname "$p")"
  cp "$KMOD/$p" "$R/lib/modules/$p"
  printf '%s\n' "$p" >>"$R/etc/faaster/modules.load"
done
touch "$R/etc/faaster/modules.load"

install -m 0755 "$HERE/init" "$R/init"
printf '%s\n' "$RUNTIME" >"$R/etc/faaster/runtime"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$R/etc/group"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$R/etc/hosts"
printf 'hosts: files dns\n' >"$R/etc/nsswitch.conf"

step "building the guest agent (C, static: $CC_VERSION) and its unpack program ($GO_VERSION)"
make -s -C "$GUEST_SRC/native" BUILD="$SCR/agent-build" >&2
install -m 0755 "$SCR/agent-build/faaster-agent" "$R/sbin/faaster-agent"
(cd "$GUEST_SRC" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOFLAGS=-buildvcs=false \
  "$GO" build -trimpath -ldflags='-s -w -buildid=' -o "$R/sbin/faaster-unpack" ./cmd/faaster-unpack &&
  "$GO" build -o "$SCR/mkcpio" ./cmd/mkcpio)

# ---- python3 ----------------------------------------------------------------------------------
if [[ "$RUNTIME" == python3 ]]; then
  step "python3: unpacking ${PKGS[*]:2}"
  PY="$SCR/py"
  for p in python3.11-minimal libpython3.11-minimal libc6 zlib1g libexpat1; do dpkg -x "${DEB[$p]}" "$PY"; done
  dpkg -x "${DEB[libpython3.11-stdlib]}" "$SCR/pystd"
  install -m 0755 "$PY/usr/bin/python3.11" "$R/usr/bin/python3.11"
  ln -s python3.11 "$R/usr/bin/python3"

  # Shared libraries: the names ldd reports, the files from the downloaded packages.
  # Symlinks are resolved inside $PY: an absolute target must not reach the host's libc.
  resolve_in_py() {
    local f="$1" t
    while [[ -L "$f" ]]; do
      t="$(readlink "$f")"
      if [[ "$t" == /* ]]; then f="$PY$t"; else f="$(dirname "$f")/$t"; fi
    done
    [[ -f "$f" ]] && printf '%s\n' "$f"
  }
  find_lib() {
    local d
    for d in "$PY/lib/x86_64-linux-gnu" "$PY/usr/lib/x86_64-linux-gnu"; do
      if [[ -e "$d/$1" || -L "$d/$1" ]]; then resolve_in_py "$d/$1" && return 0; fi
    done
    return 1
  }
  mkdir -p "$R/lib/x86_64-linux-gnu"
  for so in $(ldd "$PY/usr/bin/python3.11" | awk '$2 == "=>" { print $1 }'); do
    src="$(find_lib "$so")" || die "python3.11 needs $so, which no downloaded package provides"
    cp "$src" "$R/lib/x86_64-linux-gnu/$so"
  done
  src="$(find_lib ld-linux-x86-64.so.2)" || die "libc6 has no ld-linux-x86-64.so.2"
  cp "$src" "$R/lib64/ld-linux-x86-64.so.2"

  LIBPY="$R/usr/lib/python3.11"
  mkdir -p "$LIBPY/lib-dynload"
  (cd "$PY/usr/lib/python3.11" && tar --exclude=./lib-dynload --exclude='__pycache__' -cf - .) | tar -xf - -C "$LIBPY"
  for m in "${PY_STDLIB_EXTRA[@]}"; do
    if [[ -d "$SCR/pystd/usr/lib/python3.11/$m" ]]; then
      cp -rp "$SCR/pystd/usr/lib/python3.11/$m" "$LIBPY/"
    elif [[ -f "$SCR/pystd/usr/lib/python3.11/$m.py" ]]; then
      cp -p "$SCR/pystd/usr/lib/python3.11/$m.py" "$LIBPY/"
    else
      die "python3: $m is not in libpython3.11-stdlib"
    fi
  done
  for m in "${PY_DYNLOAD[@]}"; do
    sos=("$SCR/pystd/usr/lib/python3.11/lib-dynload/$m".cpython-*.so)
    so="${sos[0]}"
    [[ -f "$so" ]] || die "python3: no lib-dynload module $m"
    extra="$(ldd "$so" | awk '$2 == "=>" { print $1 }' | grep -vxE 'libc\.so\.6|libm\.so\.6' || true)"
    [[ -z "$extra" ]] || die "python3: $m needs $extra (not shipped)"
    cp "$so" "$LIBPY/lib-dynload/"
  done
  find "$LIBPY" \( -name test -o -name tests -o -name idle_test -o -name __pycache__ \) -type d -prune -exec rm -rf {} +
  mkdir -p "$R/usr/lib/faaster"
  install -m 0644 "$GUEST_SRC/runtime/python/bootstrap.py" "$R/usr/lib/faaster/bootstrap.py"

  if [[ "$(id -u)" -eq 0 ]]; then
    # Compile inside the image with its own interpreter and libc, then drop the sources:
    # sourceless .pyc halve the stdlib and spare every clone the compile.
    step "python3: compiling the stdlib in the image (chroot), dropping sources"
    chroot "$R" /usr/bin/python3.11 -I -S -B -m compileall -q -b -f --invalidation-mode unchecked-hash /usr/lib/python3.11 >/dev/null
    find "$LIBPY" -name '*.py' -delete
    find "$LIBPY" -name __pycache__ -type d -prune -exec rm -rf {} +
    step "python3: import check"
    chroot "$R" /usr/bin/python3.11 -I -S -B -c "import $(echo $PY_IMPORT_CHECK | tr ' ' ',')" ||
      die "python3: the image's stdlib is missing modules (PY_STDLIB_EXTRA/PY_DYNLOAD)"
    chroot "$R" /usr/bin/python3.11 -I -S -B -c "compile(open('/usr/lib/faaster/bootstrap.py').read(), 'bootstrap.py', 'exec')"
  else
    warn "not root: shipping stdlib sources uncompiled and skipping the import check (chroot needs root)"
  fi
fi

# ---- pack -------------------------------------------------------------------------------------
UNPACKED="$(du -sb "$R" | cut -f1)"
step "packing initramfs ($((UNPACKED / 1024)) KiB unpacked)"
"$SCR/mkcpio" -root "$R" -out "$SCR/initramfs.cpio.gz" -raw "$SCR/initramfs.cpio" -dev /dev/console:c:5:1:0600 -dev /dev/null:c:1:3:0666
cp "$KDIR/boot/vmlinuz-$KREL" "$SCR/vmlinuz"
if [[ "$BOOT_KERNEL" == vmlinux ]]; then
  ln "$KDIR/vmlinux" "$SCR/vmlinux" 2>/dev/null || cp "$KDIR/vmlinux" "$SCR/vmlinux"
fi

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
json_list() { local first=1 x; printf '['; for x in "$@"; do ((first)) || printf ', '; first=0; printf '"%s"' "$x"; done; printf ']'; }
{
  printf '{\n'
  printf '  "runtime": "%s",\n' "$RUNTIME"
  printf '  "inputDigest": "%s",\n' "$DIGEST"
  printf '  "kernel": {"package": "%s", "version": "%s", "release": "%s", "sha256": "%s", "bytes": %s},\n' \
    "$KPKG" "${VER[$KPKG]}" "$KREL" "$(sha "$SCR/vmlinuz")" "$(size "$SCR/vmlinuz")"
  if [[ "$BOOT_KERNEL" == vmlinux ]]; then
    printf '  "vmlinux": {"sha256": "%s", "bytes": %s, "boot": "pvh"},\n' "$(sha "$SCR/vmlinux")" "$(size "$SCR/vmlinux")"
  fi
  printf '  "bootKernel": "%s",\n' "$BOOT_KERNEL"
  printf '  "initramfs": {"sha256": "%s", "bytes": %s, "unpackedBytes": %s},\n' \
    "$(sha "$SCR/initramfs.cpio.gz")" "$(size "$SCR/initramfs.cpio.gz")" "$UNPACKED"
  printf '  "initramfsRaw": {"sha256": "%s", "bytes": %s},\n' "$(sha "$SCR/initramfs.cpio")" "$(size "$SCR/initramfs.cpio")"
  printf '  "bootInitrd": "initramfs.cpio",\n'
  printf '  "modules": %s,\n' "$(json_list "${MOD_ORDER[@]}")"
  printf '  "packages": {'
  first=1
  for p in "${PKGS[@]}"; do ((first)) || printf ', '; first=0; printf '"%s": "%s"' "$p" "${VER[$p]}"; done
  printf '},\n'
  printf '  "agent": {"version": "%s", "language": "c", "cc": "%s", "sourceSha256": "%s", "sha256": "%s"},\n' \
    "$("$R/sbin/faaster-agent" -version)" "$CC_VERSION" "$AGENT_DIGEST" "$(sha "$R/sbin/faaster-agent")"
  printf '  "unpack": {"go": "%s", "sha256": "%s"},\n' "$GO_VERSION" "$(sha "$R/sbin/faaster-unpack")"
  printf '  "cmdline": "%s",\n' "$CMDLINE"
  printf '  "memoryMiB": %s,\n' "$MEMORY_MIB"
  printf '  "agentPort": "dev.faaster.agent",\n'
  printf '  "qemuDevices": ["virtio-serial-pci", "virtserialport,name=dev.faaster.agent", "virtio-rng-pci", "virtio-net-pci,romfile= (optional)"],\n'
  printf '  "builtAt": "%s"\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '}\n'
} >"$SCR/manifest.json"

rm -rf "$OUT.tmp" && mkdir -p "$OUT.tmp"
mv "$SCR/vmlinuz" "$SCR/initramfs.cpio.gz" "$SCR/initramfs.cpio" "$SCR/manifest.json" "$OUT.tmp/"
if [[ "$BOOT_KERNEL" == vmlinux ]]; then mv "$SCR/vmlinux" "$OUT.tmp/"; fi
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
step "done in $((SECONDS - t_start))s: vmlinuz $(($(size "$OUT/vmlinuz") / 1024)) KiB, initramfs.cpio.gz $(($(size "$OUT/initramfs.cpio.gz") / 1024)) KiB, initramfs.cpio $(($(size "$OUT/initramfs.cpio") / 1024)) KiB"
printf '%s\n' "$OUT"
