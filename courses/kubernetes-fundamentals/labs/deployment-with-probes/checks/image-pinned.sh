#!/bin/sh
# Passes when the first container image in deployment.yaml carries an explicit tag (or a
# digest) other than "latest". POSIX sh only: no external tools needed.

f=deployment.yaml
if [ ! -f "$f" ]; then
  echo "FAIL: deployment.yaml is missing from the workspace."
  exit 1
fi

image=""
while IFS= read -r line || [ -n "$line" ]; do
  # Drop leading whitespace and an optional list dash.
  t=${line#"${line%%[![:space:]]*}"}
  case $t in
    \#*) continue ;;
    -[[:space:]]*) t=${t#-}; t=${t#"${t%%[![:space:]]*}"} ;;
  esac
  case $t in
    image:*)
      image=${t#image:}
      break
      ;;
  esac
done < "$f"

# Remove a trailing comment, surrounding whitespace and quotes.
image=${image%%#*}
image=${image#"${image%%[![:space:]]*}"}
image=${image%"${image##*[![:space:]]}"}
image=${image#[\"\']}
image=${image%[\"\']}

if [ -z "$image" ]; then
  echo "FAIL: No container image found in deployment.yaml."
  exit 1
fi

case $image in
  *@sha256:*) exit 0 ;;
esac

# Look at the last path component only, so a registry port (host:5000/app) is not a tag.
name=${image##*/}
case $name in
  *:latest)
    echo "FAIL: The image $image uses the mutable tag latest; pin a version such as nginx:1.27."
    exit 1
    ;;
  *:?*)
    exit 0
    ;;
  *)
    echo "FAIL: The image $image has no tag, which means latest; pin a version such as nginx:1.27."
    exit 1
    ;;
esac
