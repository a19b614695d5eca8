#!/usr/bin/env bash
# build-image.sh <controller|agent> <out.tar>: assembles a minimal root filesystem for one multinic component from
# files of this machine and packs it, without a container engine or a base image, into an OCI image layout archive
# (a tar of index.json, oci-layout and blobs/: `podman load -i`, `skopeo copy oci-archive:<tar> …`, Docker 25+ `docker load`).
#
# The root filesystem holds the component's single executable, every shared library it links (per ldd, with the
# dynamic loader), /etc/passwd and /etc/group, /tmp; for the agent also `ip`, /bin/sh, cp, chmod, mv (the chart's
# install-cni init container), the reference CNI plugins of /usr/lib/cni and the multinic CNI executables in
# /opt/multinic/cni — the layout charts/multinic/README.md ("Images") describes. Packed with Debian's umoci.
set -euo pipefail
shopt -s nullglob

die() { echo "build-image: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: build-image.sh <controller|agent> <out.tar>"
component=$1 out=$2
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
command -v umoci >/dev/null || die "umoci is missing: run scripts/ensure-tools (or apt-get install -y umoci)"
command -v ldd >/dev/null || die "ldd is missing: run apt-get install -y libc-bin"


need() { [ -e "$1" ] || die "$1 is missing: run $2"; }

case $component in
  controller)
    name=multinic-controller pkg=controller user=65532:65532
    description="multinic controller: turns MultiNicNetworks into CIDR plans, IPPools and NetworkAttachmentDefinitions" ;;
  agent)
    name=multinic-agent pkg=node-agent user=0:0
    description="multinic node agent and the multinic CNI executables installed by its install-cni init container" ;;
  *) die "unknown component '$component': want controller or agent" ;;
esac
command -v node >/dev/null || die "node is not on PATH: run . scripts/bootstrap"
exe=$root/dist/bin/$name
need "$exe" "pnpm exec turbo run sea --filter=@multinic/$pkg"
version=$(node -p "require('$root/packages/$pkg/package.json').version")
# A plain copy of node (a failed or interrupted blob injection) would print v24.x here.
probe() {
  local got
  got=$("$1" --version </dev/null 2>/dev/null | head -n 1) || true
  case $got in "$2"*) ;; *) die "$1 --version printed '$got', not '$2…': rebuild it with $3" ;; esac
}
probe "$exe" "$name $version" "pnpm --filter @multinic/$pkg run sea --force"

work=$(mktemp -d "${TMPDIR:-/tmp}/multinic-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"

# canonical <path>: the path with its directory's symlinks resolved (/lib64/x → /usr/lib64/x on merged-/usr hosts),
# so the image gets the same bin → usr/bin, lib → usr/lib, … links as Debian and no file twice.
canonical() { echo "$(readlink -f "$(dirname "$1")")/$(basename "$1")"; }

# add <host file> [<path in the image>]: copies the file's content (symlinks followed) keeping its mode.
add() {
  local src=$1 dst=${2:-$(canonical "$1")}
  mkdir -p "$rootfs$(dirname "$dst")"
  cp -L --preserve=mode "$src" "$rootfs$dst"
}

# add_elf <host file> [<path in the image>]: the file and every library ldd says it needs, at their host paths.
add_elf() {
  add "$@"
  local lib
  for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    [ -e "$rootfs$(canonical "$lib")" ] || add "$lib"
  done
}

add_elf "$exe" "/usr/local/bin/$name"
if [ "$component" = agent ]; then
  need "$root/dist/cni/multi-nic" "pnpm exec turbo run sea --filter=@multinic/cni-ipvlan"
  need "$root/dist/cni/multi-nic-ipam" "pnpm exec turbo run sea --filter=@multinic/cni-ipam"
  probe "$root/dist/cni/multi-nic" "CNI plugin multi-nic" "pnpm --filter @multinic/cni-ipvlan run sea --force"
  probe "$root/dist/cni/multi-nic-ipam" "CNI plugin multi-nic-ipam" "pnpm --filter @multinic/cni-ipam run sea --force"
  add_elf "$root/dist/cni/multi-nic" /opt/multinic/cni/multi-nic
  add_elf "$root/dist/cni/multi-nic-ipam" /opt/multinic/cni/multi-nic-ipam
  plugins=(/usr/lib/cni/*)
  [ ${#plugins[@]} -gt 0 ] || die "no reference CNI plugins in /usr/lib/cni: run apt-get install -y containernetworking-plugins"
  for p in "${plugins[@]}"; do add_elf "$p" "/usr/lib/cni/$(basename "$p")"; done
  ip=$(command -v ip || true)
  [ -n "$ip" ] || die "ip is missing: run apt-get install -y iproute2"
  add_elf "$ip" /usr/bin/ip
  for d in /usr/share/iproute2 /usr/lib/iproute2 /etc/iproute2; do
    [ -d "$d" ] && { mkdir -p "$rootfs$d"; cp -rL "$d/." "$rootfs$d/"; }
  done
  # The install-cni init container: /bin/sh -c '… cp, chmod, mv …'.
  add_elf "$(readlink -f "$(command -v dash)")" /usr/bin/sh
  for tool in cp chmod mv; do add_elf "$(command -v "$tool")" "/usr/bin/$tool"; done
fi

# Merged /usr like Debian: /bin, /sbin, /lib, /lib64 are links into /usr; ip is also at /usr/sbin/ip.
for d in bin sbin lib lib64; do
  [ -e "$rootfs/$d" ] && die "internal: /$d is a directory in the image"
  [ -d "$rootfs/usr/$d" ] && ln -s "usr/$d" "$rootfs/$d"
done
[ "$component" = agent ] && { mkdir -p "$rootfs/usr/sbin"; ln -sf ../bin/ip "$rootfs/usr/sbin/ip"; [ -e "$rootfs/sbin" ] || ln -s usr/sbin "$rootfs/sbin"; }
mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/run" "$rootfs/var/lib"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/usr/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

oci=$work/oci tag=$version
umoci init --layout "$oci"
umoci new --image "$oci:$tag"
umoci insert --image "$oci:$tag" "$rootfs" /
umoci config --image "$oci:$tag" \
  --os linux --architecture "$(dpkg --print-architecture 2>/dev/null || echo amd64)" \
  --config.entrypoint "/usr/local/bin/$name" --config.user "$user" --config.workingdir / \
  --config.env PATH=/usr/local/bin:/usr/bin:/usr/sbin \
  --config.label "org.opencontainers.image.title=$name" \
  --config.label "org.opencontainers.image.description=$description" \
  --config.label "org.opencontainers.image.version=$version" \
  --config.label "org.opencontainers.image.source=https://github.com/multinic/multinic" \
  --config.label "org.opencontainers.image.licenses=Apache-2.0" \
  --manifest.annotation "org.opencontainers.image.ref.name=$tag" \
  --author multinic --history.comment "multinic images/scripts/build-image.sh"
umoci gc --layout "$oci"
mkdir -p "$(dirname "$out")"
tar -C "$oci" -cf "$out.tmp" .
mv -f "$out.tmp" "$out"
echo "build-image: $out ($name $version, $(du -m "$out" | cut -f1) MiB, root filesystem $(du -sm "$rootfs" | cut -f1) MiB)"
