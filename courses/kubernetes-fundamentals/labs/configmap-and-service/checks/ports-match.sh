#!/bin/sh
# Passes when a containerPort in deployment.yaml equals the first targetPort in service.yaml.
# POSIX sh only: no kubectl, yq or jq needed.

# values KEY FILE: print the value of every "KEY:" line (comments, quotes and list dashes removed).
values() {
  key=$1
  file=$2
  while IFS= read -r line || [ -n "$line" ]; do
    t=${line#"${line%%[![:space:]]*}"}
    case $t in
      \#*) continue ;;
      -[[:space:]]*) t=${t#-}; t=${t#"${t%%[![:space:]]*}"} ;;
    esac
    case $t in
      "$key":*)
        v=${t#"$key":}
        v=${v%%#*}
        v=${v#"${v%%[![:space:]]*}"}
        v=${v%"${v##*[![:space:]]}"}
        v=${v#[\"\']}
        v=${v%[\"\']}
        printf '%s\n' "$v"
        ;;
    esac
  done < "$file"
}

if [ ! -f service.yaml ]; then
  echo "FAIL: service.yaml is missing from the workspace."
  exit 1
fi
if [ ! -f deployment.yaml ]; then
  echo "FAIL: deployment.yaml does not exist yet; create it in this step."
  exit 1
fi

target=""
for v in $(values targetPort service.yaml); do
  target=$v
  break
done
if [ -z "$target" ]; then
  echo "FAIL: service.yaml has no targetPort."
  exit 1
fi

for p in $(values containerPort deployment.yaml); do
  if [ "$p" = "$target" ]; then
    exit 0
  fi
done

echo "FAIL: No containerPort in deployment.yaml equals the Service targetPort ($target)."
exit 1
