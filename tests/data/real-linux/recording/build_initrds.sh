#!/bin/bash
# How the initrds of the recorded runs were built, in the rig's work directory W (after
# ../shared/real-linux/setup.sh, which builds QEMU, unpacks the kernel, edk2 and busybox packages,
# emits our tables into W/ours and dumps QEMU's into W/qtables).
# usage: cd W && bash <project>/tests/data/real-linux/recording/build_initrds.sh
set -euo pipefail
R=$(dirname "$(readlink -f "$0")")
SHARED=${SHARED:-/work/shared/real-linux}
# 1. the busybox initramfs: /init = guest-init.sh (a copy is next to this script), busybox-static arm64
"$SHARED/build_initramfs.sh" bb/bin/busybox "$R/guest-init.sh" initramfs.cpio.gz
# 2. our tables (vcpu-hotplug tables emit --smp cpus=2,maxcpus=4 -o ours) made into upgrades of QEMU's,
#    one overlay per variant (the bytes are committed under ../tables/<variant>/ with CHANGES.txt)
for v in plain flags09 dupmpidr nosta sta0 noej0 uidnogicc ppttnocpu2 gicrshort; do
  python3 "$R/patch_variants.py" ours qtables ovl2/$v --variant $v --check-dir eff2/$v
  # 3. the initrd: the uncompressed cpio of kernel/firmware/acpi/*.aml first, the initramfs appended
  #    (Documentation/admin-guide/acpi/initrd_table_override.rst)
  "$SHARED/mk_initrd.sh" ovl2/$v initramfs.cpio.gz initrd-$v.img
done
# The qemu-tables scenarios boot initramfs.cpio.gz alone (QEMU's own tables, no upgrade).
