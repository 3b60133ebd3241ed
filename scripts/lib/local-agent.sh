# Sourced by scripts/start: local SSH build agents on loopback, for a system that builds out of
# the box. Each has its own sshd (own host key, own authorized key, loopback only) and directory
# under the data dir, is started once and registered with the running host through the API.

# start_local_agent DATA_DIR PORT DIR_NAME — starts sshd if it is not running; prints nothing on success.
start_local_agent() {
  local data="$1" port="$2" dir="$1/$3"
  mkdir -p "$dir/work"
  chmod 700 "$dir"
  [[ -f "$dir/host_ed25519" ]] || ssh-keygen -q -t ed25519 -N '' -C albs-local-agent-host -f "$dir/host_ed25519"
  [[ -f "$dir/client_ed25519" ]] || ssh-keygen -q -t ed25519 -N '' -C albs-server -f "$dir/client_ed25519"
  cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
  cat >"$dir/sshd_config" <<CONFIG
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
AuthorizedKeysFile $dir/authorized_keys
PidFile $dir/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 64
PermitUserRC no
SetEnv HOME=$dir/work
CONFIG
  if [[ -f "$dir/sshd.pid" ]] && kill -0 "$(cat "$dir/sshd.pid")" 2>/dev/null; then
    return 0
  fi
  mkdir -p /run/sshd 2>/dev/null || true
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
}

# register_local_agent DATA_DIR PORT DIR_NAME AGENT_NAME URL TOKEN — waits for /health, then registers the agent (once).
register_local_agent() {
  local data="$1" port="$2" dir="$1/$3" name="$4" url="$5" token="$6"
  for _ in $(seq 120); do
    curl -fsS -o /dev/null "$url/health" 2>/dev/null && break
    sleep 1
  done
  if curl -fsS -o /dev/null "$url/api/v1/agents/$name" 2>/dev/null; then
    return 0
  fi
  local body
  body=$(python3 - "$dir" "$port" "$(id -un)" "$name" <<'PY'
import json, sys
d, port, user, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
host_key = open(f"{d}/host_ed25519.pub").read().split()
print(json.dumps({
    "name": name, "host": "127.0.0.1", "port": port, "user": user,
    "privateKey": open(f"{d}/client_ed25519").read(),
    "hostKey": f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}",
    "arches": ["x86_64", "noarch"], "slots": 2, "workDirectory": f"{d}/work",
}))
PY
)
  if curl -fsS -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
       --data "$body" "$url/api/v1/agents"; then
    echo "start: registered the local build agent '$name' (127.0.0.1:$port)"
  else
    echo "start: could not register the local build agent; see the host log" >&2
  fi
}
