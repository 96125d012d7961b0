#!/bin/sh
# Checks that main.tf no longer hard-codes the production values, using only sh, grep and test.
# Comments count too: a stale comment naming one environment is misleading in a shared module.

f=main.tf
if ! test -f "$f"; then
  echo "FAIL: main.tf is missing."
  exit 1
fi
if grep -q 'acme-prod-logs' "$f"; then
  echo "FAIL: main.tf still contains the bucket name acme-prod-logs...; use var.bucket_name."
  exit 1
fi
if grep -q '"eu-west-1"' "$f"; then
  echo "FAIL: main.tf still contains \"eu-west-1\"; use var.region (the default lives in variables.tf)."
  exit 1
fi
if grep -q '"prod"' "$f"; then
  echo "FAIL: main.tf still contains \"prod\"; use var.environment."
  exit 1
fi
exit 0
