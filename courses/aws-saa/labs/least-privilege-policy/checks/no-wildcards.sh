#!/bin/sh
# Local check for the least-privilege lab: policy.json must not grant wildcard actions or
# resources, and must not use NotAction. Uses only sh, test and grep.
f=policy.json
if ! test -f "$f"; then
  echo "FAIL: policy.json was not found in the workspace."
  exit 1
fi
if grep -q 'NotAction' "$f"; then
  echo "FAIL: Do not use NotAction - list the allowed actions explicitly."
  exit 1
fi
if grep -q -e '"[a-zA-Z0-9-]*:[a-zA-Z]*\*[a-zA-Z]*"' "$f"; then
  echo "FAIL: An action contains a wildcard (for example \"s3:*\" or \"s3:Get*\"). Name each action exactly."
  exit 1
fi
if grep -q -e '"\*"' "$f"; then
  echo "FAIL: A bare \"*\" grants everything. Use exact actions and bucket/object ARNs."
  exit 1
fi
echo "policy.json uses exact actions and resources."
exit 0
