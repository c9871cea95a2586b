#!/bin/bash
# Trim every finished run of W/runs into a transcript in OUT (default: the folder above this script).
# usage: W=<rig work dir> transcripts.sh   (W/versions.json: see ../README.md)
set -euo pipefail
R=$(dirname "$(readlink -f "$0")")
W=${W:?set W to the rig work dir}; OUT=${OUT:-$R/..}
cd "$W"
for d in runs/*/; do
  sc=$(basename "$d"); [ -f "$d/result.json" ] || continue
  case $sc in
    qemu-tables-cpus1-maxcpus8) v=qemu; td=$R/../../qemu-rfc-v5/aarch64-virt-cpus1-maxcpus8 ;;
    qemu-tables-sockets2) v=qemu; td=$R/../../qemu-rfc-v5/aarch64-virt-sockets2-cores2-cpus2 ;;
    qemu-tables*) v=qemu; td=qtables ;;
    ours-*) v=${sc#ours-}; v=${v%-core3}; v=${v%-2and3}; v=${v%-replug}; td=ovl2/$v/kernel/firmware/acpi ;;
    *) continue ;;
  esac
  python3 "$R/make_transcript.py" "$d" "$sc" "$v" "$td" versions.json "$OUT/$sc.json"
done
