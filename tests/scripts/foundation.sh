#!/usr/bin/env bash
# The foundation flow, through the CLI only: a server on a temporary SQLite file, an admin,
# an instructor publishing the bundled catalog with a `publish` token, a learner who
# registers, browses, enrolls, records progress, reads it back and logs out.
#
# Usage: tests/scripts/foundation.sh CLOUDMASTER_BIN CLOUDMASTER_SERVER_BIN COURSES_DIR
set -euo pipefail
cm=$1 server=$2 courses=$3
scripts=$(cd "$(dirname "$0")/../../scripts" && pwd)

work=$(mktemp -d)
server_pid=""
trap 'if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
export XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data XDG_STATE_HOME=$work/state
export CLOUDMASTER_CREDENTIALS=file

# The server picks a free port and says which in its URL file.
"$server" --listen 127.0.0.1:0 --url-file "$work/server.url" --data-dir "$work/server" \
  >"$work/server.log" 2>&1 &
server_pid=$!
CLOUDMASTER_SERVER=$("$scripts/server-url" "$server_pid" "$work/server.url") ||
  { cat "$work/server.log" >&2; exit 1; }
export CLOUDMASTER_SERVER

echo admin-password-1 | "$server" --data-dir "$work/server" create-user \
  --email admin@example.test --name Admin --role admin --password-stdin
echo author-password-1 | "$server" --data-dir "$work/server" create-user \
  --email author@example.test --name Author --role instructor --password-stdin

# The instructor makes a publish token and logs out; publishing uses only the token.
echo author-password-1 | "$cm" login --email author@example.test --password-stdin
token=$("$cm" token create --name ci --scope publish -o json | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p' | head -1)
[ -n "$token" ] || { echo "no token in output" >&2; exit 1; }
"$cm" logout
CLOUDMASTER_TOKEN=$token "$cm" publish "$courses" --yes
CLOUDMASTER_TOKEN=$token "$cm" publish "$courses" --yes | grep -q "no changes"

# The learner.
echo learner-password-1 | "$cm" register --email learner@example.test --name Learner --password-stdin
"$cm" whoami | grep -q learner@example.test
"$cm" courses list -o json | grep -q '"id": *"aws-saa"'
"$cm" courses search kubernetes -o json | grep -q kubernetes-fundamentals
"$cm" courses show cloud-foundations -o json | grep -q '"what-is-cloud"'
"$cm" enroll cloud-foundations
"$cm" lesson done cloud-foundations/what-is-cloud
"$cm" progress cloud-foundations -o json | grep -q '"completed_lessons": *1'

# A learner cannot publish with its session.
if "$cm" publish "$courses" --yes >/dev/null 2>&1; then echo "learner published" >&2; exit 1; fi

# After logout the old refresh token is refused by the server.
creds=$XDG_CONFIG_HOME/cloudmaster/credentials.json
refresh=$(sed -n 's/.*"refresh_token": *"\([^"]*\)".*/\1/p' "$creds" | head -1)
"$cm" logout
if [ -n "$refresh" ]; then
  status=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"refresh_token\":\"$refresh\"}" "$CLOUDMASTER_SERVER/api/v1/auth/refresh")
  [ "$status" = 401 ] || { echo "old refresh token still works ($status)" >&2; exit 1; }
fi
if "$cm" whoami >/dev/null 2>&1; then echo "still logged in after logout" >&2; exit 1; fi
echo "foundation flow passed"
