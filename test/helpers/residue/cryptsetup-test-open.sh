#!/bin/bash
# Test-only stand-in for cryptsetup on a kernel without device-mapper: `open DEVICE NAME` runs the real
# `cryptsetup open --test-passphrase DEVICE` (same key on the inherited stdin, same PBKDF, same "Key slot N
# unlocked"); everything else goes to the real cryptsetup unchanged. The key never passes through this script.
real=/usr/sbin/cryptsetup
if [ "$1" = open ] && [[ " $* " != *" --test-passphrase "* ]] && [[ " $* " != *" --token-only "* ]]; then
  shift
  args=(open --test-passphrase)
  while [ $# -gt 0 ]; do
    case "$1" in
      --type) shift 2 ;;
      --allow-discards|--readonly) shift ;;
      --) args+=(-- "$2"); break ;;
      *) args+=("$1"); shift ;;
    esac
  done
  exec "$real" "${args[@]}"
fi
exec "$real" "$@"
