#!/bin/sh
# Checks subnets.yaml for the cidr-plan lab, using only sh, grep and test.
# Passes when the file holds the VPC block 10.20.0.0/16 plus exactly four subnet blocks,
# each a valid network address inside the VPC, and no two subnets overlap.
# Every "cidr:" value in the file is read; the first 10.20.0.0/16 is taken as the VPC.

f=subnets.yaml
if ! test -f "$f"; then
  echo "FAIL: subnets.yaml is missing."
  exit 1
fi

set -f
vpc_start=$(( (10 << 24) + (20 << 16) ))
vpc_end=$(( vpc_start + 65535 ))
vpc_seen=0
count=0
ranges=""

for w in $(grep -E 'cidr:' "$f" | grep -vE '^[[:space:]]*#'); do
  w=${w%,}; w=${w%\}}; w=${w%,}
  w=${w#\"}; w=${w%\"}; w=${w#\'}; w=${w%\'}
  case "$w" in
    [0-9]*.[0-9]*.[0-9]*.[0-9]*/[0-9]*) ;;
    *) continue ;;
  esac
  if test "$w" = "10.20.0.0/16" && test "$vpc_seen" -eq 0; then
    vpc_seen=1
    continue
  fi

  old_ifs=$IFS
  IFS=./
  set -- $w
  IFS=$old_ifs
  if test $# -ne 5; then
    echo "FAIL: $w is not a CIDR block like 10.20.4.0/22."
    exit 1
  fi
  for n in "$@"; do
    case "$n" in
      ''|*[!0-9]*) echo "FAIL: $w is not a CIDR block like 10.20.4.0/22."; exit 1 ;;
    esac
  done
  if test "$1" -gt 255 || test "$2" -gt 255 || test "$3" -gt 255 || test "$4" -gt 255 || test "$5" -gt 32; then
    echo "FAIL: $w is not a valid IPv4 CIDR block."
    exit 1
  fi

  start=$(( ($1 << 24) + ($2 << 16) + ($3 << 8) + $4 ))
  size=$(( 1 << (32 - $5) ))
  end=$(( start + size - 1 ))
  if test $(( start % size )) -ne 0; then
    echo "FAIL: $w does not start on a /$5 boundary, so it is not a network address."
    exit 1
  fi
  if test "$start" -lt "$vpc_start" || test "$end" -gt "$vpc_end"; then
    echo "FAIL: $w is not inside the VPC block 10.20.0.0/16."
    exit 1
  fi
  for r in $ranges; do
    s=${r%%:*}
    rest=${r#*:}
    e=${rest%%:*}
    c=${rest#*:}
    if test "$start" -le "$e" && test "$s" -le "$end"; then
      echo "FAIL: $w overlaps $c."
      exit 1
    fi
  done
  ranges="$ranges $start:$end:$w"
  count=$(( count + 1 ))
done

if test "$vpc_seen" -ne 1; then
  echo "FAIL: the VPC block 10.20.0.0/16 was not found in subnets.yaml."
  exit 1
fi
if test "$count" -ne 4; then
  echo "FAIL: expected 4 subnet CIDR blocks, found $count."
  exit 1
fi
exit 0
