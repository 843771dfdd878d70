#!/usr/bin/env bash
# Local Kafka (KRaft), Elasticsearch and Redis for development, tests and CI.
#
#   scripts/services.sh install|start|stop|status [kafka|elasticsearch|redis|all]
#   scripts/services.sh env          # prints `export ...` lines for the URLs
#
# Everything lives under .services/ (git-ignored). Kafka and Elasticsearch come
# from Maven Central through the Maven dependency plugin; Redis from Debian apt.
# All three listen on loopback only, on ports chosen to avoid the defaults.
# `start` is idempotent: a service that already answers is reused.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICES_DIR="${GS_SERVICES_DIR:-$ROOT/.services}"
HOST=127.0.0.1

KAFKA_VERSION="${GS_KAFKA_VERSION:-3.9.1}"
KAFKA_PORT="${GS_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${GS_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_HEAP="${GS_KAFKA_HEAP:-512m}"
KAFKA_DIR="$SERVICES_DIR/kafka"

ES_VERSION="${GS_ES_VERSION:-8.19.8}"
ES_PORT="${GS_ES_PORT:-19200}"
ES_TRANSPORT_PORT="${GS_ES_TRANSPORT_PORT:-19300}"
ES_HEAP="${GS_ES_HEAP:-1g}"
ES_USER="${GS_ES_USER:-gs-elastic}"
# Elasticsearch runs as an unprivileged user, who must be able to reach its
# folder: when a parent of .services/ is closed to others (a checkout under
# /root, say), its files live under /var/tmp instead.
traversable_by_others () {
  local dir="$1"
  while [[ "$dir" != / && -n "$dir" ]]; do
    if [[ -e "$dir" ]] && [[ "$(stat -c %A "$dir" | cut -c10)" != x && "$(stat -c %A "$dir" | cut -c10)" != t ]]; then return 1; fi
    dir="$(dirname "$dir")"
  done
  return 0
}
if [[ -n "${GS_ES_DIR:-}" ]]; then
  ES_DIR="$GS_ES_DIR"
elif [[ "$(id -u)" == 0 ]] && ! traversable_by_others "$SERVICES_DIR"; then
  ES_DIR="/var/tmp/groundstream-services-$(printf '%s' "$SERVICES_DIR" | sha1sum | cut -c1-10)/elasticsearch"
else
  ES_DIR="$SERVICES_DIR/elasticsearch"
fi
ES_HOME="$ES_DIR/elasticsearch-$ES_VERSION"

REDIS_PORT="${GS_REDIS_PORT:-16379}"
REDIS_DIR="$SERVICES_DIR/redis"

START_TIMEOUT_S="${GS_SERVICES_START_TIMEOUT_S:-180}"

log () { printf '[services] %s\n' "$*" >&2; }
fail () { printf '[services] FAILED: %s\n' "$*" >&2; exit 1; }

pid_alive () {
  local file="$1"
  [[ -f "$file" ]] && kill -0 "$(cat "$file")" 2>/dev/null
}

# Stops the process in a pid file: TERM, then KILL after a grace period.
stop_pid () {
  local name="$1" file="$2" grace="${3:-30}"
  if ! pid_alive "$file"; then
    rm -f "$file"
    log "$name: not running"
    return 0
  fi
  local pid
  pid="$(cat "$file")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 5))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: did not stop within ${grace}s, sending KILL to $pid"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$file"
  log "$name: stopped"
}

tail_log () {
  local file="$1"
  if [[ -f "$file" ]]; then
    log "last lines of $file:"
    tail -n 30 "$file" >&2 || true
  fi
}

# ---------------------------------------------------------------- Kafka

kafka_install () {
  if [[ -f "$KAFKA_DIR/libs/.complete-$KAFKA_VERSION" ]]; then return 0; fi
  command -v java >/dev/null || fail "kafka install: java not found (install openjdk-17-jre-headless)"
  command -v mvn >/dev/null || fail "kafka install: mvn not found (install maven)"
  log "kafka: fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and dependencies from Maven Central"
  rm -rf "$KAFKA_DIR/libs"
  mkdir -p "$KAFKA_DIR/libs"
  if ! mvn -q -B -f "$ROOT/scripts/services/kafka-pom.xml" dependency:copy-dependencies \
      -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime \
      -DoutputDirectory="$KAFKA_DIR/libs" >"$KAFKA_DIR/install.log" 2>&1; then
    tail_log "$KAFKA_DIR/install.log"
    fail "kafka install: mvn dependency:copy-dependencies failed (see $KAFKA_DIR/install.log)"
  fi
  [[ -f "$KAFKA_DIR/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] || fail "kafka install: kafka_2.13-$KAFKA_VERSION.jar missing after download"
  touch "$KAFKA_DIR/libs/.complete-$KAFKA_VERSION"
  log "kafka: installed $(ls "$KAFKA_DIR/libs" | wc -l) jars"
}

kafka_write_config () {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=4194304
log.retention.hours=24
num.network.threads=2
num.io.threads=2
background.threads=2
EOF
  cat >"$KAFKA_DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$KAFKA_DIR/logs/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
EOF
}

kafka_java () {
  java -Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -Dkafka.logs.dir="$KAFKA_DIR/logs" \
    -cp "$KAFKA_DIR/libs/*" "$@"
}

kafka_ready () {
  node "$ROOT/scripts/services/kafka-ready.mjs" "$HOST:$KAFKA_PORT" "${1:-5}" 2>/dev/null
}

kafka_start () {
  kafka_install
  if kafka_ready 3; then log "kafka: already running on $HOST:$KAFKA_PORT"; return 0; fi
  if pid_alive "$KAFKA_DIR/kafka.pid"; then
    log "kafka: process $(cat "$KAFKA_DIR/kafka.pid") exists but does not answer; waiting for it"
  else
    kafka_write_config
    if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
      local cluster_id
      cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid 2>"$KAFKA_DIR/logs/format.err")" \
        || { tail_log "$KAFKA_DIR/logs/format.err"; fail "kafka start: StorageTool random-uuid failed"; }
      kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" --ignore-formatted \
        >"$KAFKA_DIR/logs/format.log" 2>&1 \
        || { tail_log "$KAFKA_DIR/logs/format.log"; fail "kafka start: StorageTool format failed"; }
    fi
    log "kafka: starting on $HOST:$KAFKA_PORT (heap $KAFKA_HEAP)"
    nohup java -Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -Dkafka.logs.dir="$KAFKA_DIR/logs" \
      -cp "$KAFKA_DIR/libs/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
      >"$KAFKA_DIR/logs/stdout.log" 2>&1 </dev/null &
    echo $! >"$KAFKA_DIR/kafka.pid"
  fi
  local deadline=$((SECONDS + START_TIMEOUT_S))
  while (( SECONDS < deadline )); do
    if kafka_ready 5; then log "kafka: ready on $HOST:$KAFKA_PORT"; return 0; fi
    if ! pid_alive "$KAFKA_DIR/kafka.pid"; then
      tail_log "$KAFKA_DIR/logs/stdout.log"; tail_log "$KAFKA_DIR/logs/server.log"
      fail "kafka start: broker process exited (see $KAFKA_DIR/logs)"
    fi
    sleep 1
  done
  tail_log "$KAFKA_DIR/logs/server.log"
  fail "kafka start: broker did not answer a metadata request on $HOST:$KAFKA_PORT within ${START_TIMEOUT_S}s"
}

kafka_stop () { stop_pid kafka "$KAFKA_DIR/kafka.pid" 60; }

kafka_status () {
  if kafka_ready 3; then echo "kafka: up ($HOST:$KAFKA_PORT)"; return 0; fi
  if pid_alive "$KAFKA_DIR/kafka.pid"; then echo "kafka: process $(cat "$KAFKA_DIR/kafka.pid") running but not answering"; return 1; fi
  echo "kafka: down"; return 1
}

# ---------------------------------------------------------------- Elasticsearch

es_ensure_user () {
  if id -u "$ES_USER" >/dev/null 2>&1; then return 0; fi
  if [[ "$(id -u)" != 0 ]]; then
    # Not root: run as ourselves (Elasticsearch only refuses root).
    ES_USER="$(id -un)"
    return 0
  fi
  log "elasticsearch: creating unprivileged user $ES_USER"
  useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER" \
    || fail "elasticsearch: could not create user $ES_USER"
}

es_install () {
  if [[ -f "$ES_HOME/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || fail "elasticsearch install: mvn not found (install maven)"
  command -v unzip >/dev/null || fail "elasticsearch install: unzip not found (apt-get install unzip)"
  mkdir -p "$ES_DIR/download"
  local artifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"
  log "elasticsearch: fetching $artifact from Maven Central"
  if ! mvn -q -B dependency:copy -Dartifact="$artifact" -DoutputDirectory="$ES_DIR/download" \
      >"$ES_DIR/install.log" 2>&1; then
    tail_log "$ES_DIR/install.log"
    fail "elasticsearch install: mvn dependency:copy of $artifact failed (see $ES_DIR/install.log)"
  fi
  rm -rf "$ES_HOME"
  unzip -q -o "$ES_DIR/download/elasticsearch-$ES_VERSION.zip" -d "$ES_DIR" \
    || fail "elasticsearch install: unzip of elasticsearch-$ES_VERSION.zip failed"
  rm -f "$ES_DIR/download/elasticsearch-$ES_VERSION.zip"
  touch "$ES_HOME/.complete"
  log "elasticsearch: installed into $ES_HOME"
}

es_health () {
  curl -fsS --max-time "${1:-5}" "http://$HOST:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=${1:-5}s" 2>/dev/null \
    | grep -Eq '"status":"(yellow|green)"'
}

es_write_config () {
  mkdir -p "$ES_DIR/config" "$ES_DIR/data" "$ES_DIR/logs" "$ES_DIR/tmp"
  cp -f "$ES_HOME/config/jvm.options" "$ES_HOME/config/log4j2.properties" "$ES_DIR/config/"
  [[ -d "$ES_DIR/config/jvm.options.d" ]] || mkdir -p "$ES_DIR/config/jvm.options.d"
  printf -- '-Xms%s\n-Xmx%s\n' "$ES_HEAP" "$ES_HEAP" >"$ES_DIR/config/jvm.options.d/heap.options"
  cat >"$ES_DIR/config/elasticsearch.yml" <<EOF
cluster.name: groundstream-dev
node.name: gs-node-1
path.data: $ES_DIR/data
path.logs: $ES_DIR/logs
network.host: $HOST
http.port: $ES_PORT
transport.port: $ES_TRANSPORT_PORT
discovery.type: single-node
xpack.security.enabled: false
# Shared development disks fill up; never block indexing on a watermark here.
cluster.routing.allocation.disk.threshold_enabled: false
action.auto_create_index: true
EOF
  touch "$ES_DIR/config/users" "$ES_DIR/config/users_roles" "$ES_DIR/config/roles.yml" 2>/dev/null || true
}

es_start () {
  es_install
  if es_health 3; then log "elasticsearch: already running on $HOST:$ES_PORT"; return 0; fi
  command -v curl >/dev/null || fail "elasticsearch: curl not found"
  if pid_alive "$ES_DIR/es.pid"; then
    log "elasticsearch: process $(cat "$ES_DIR/es.pid") exists but is not healthy yet; waiting for it"
  else
    es_ensure_user
    es_write_config
    # Parent folders must be traversable by the unprivileged user.
    chown -R "$ES_USER" "$ES_DIR/data" "$ES_DIR/logs" "$ES_DIR/tmp" "$ES_DIR/config" "$ES_HOME/config" 2>/dev/null \
      || [[ "$(id -un)" == "$ES_USER" ]] || fail "elasticsearch: cannot chown $ES_DIR to $ES_USER"
    rm -f "$ES_DIR/es.pid"
    log "elasticsearch: starting on $HOST:$ES_PORT as $ES_USER (heap $ES_HEAP)"
    local java_home
    java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
    local cmd=(env "ES_JAVA_HOME=$java_home" "ES_PATH_CONF=$ES_DIR/config" "ES_TMPDIR=$ES_DIR/tmp"
      "$ES_HOME/bin/elasticsearch" -d -p "$ES_DIR/es.pid")
    if [[ "$(id -un)" != "$ES_USER" ]]; then
      cmd=(runuser -u "$ES_USER" -- "${cmd[@]}")
    fi
    # es.pid is written by Elasticsearch itself, as $ES_USER, in a folder it owns.
    chown "$ES_USER" "$ES_DIR" 2>/dev/null || true
    if ! "${cmd[@]}" >"$ES_DIR/logs/launcher.log" 2>&1; then
      tail_log "$ES_DIR/logs/launcher.log"; tail_log "$ES_DIR/logs/groundstream-dev.log"
      fail "elasticsearch start: launcher exited with an error (see $ES_DIR/logs)"
    fi
  fi
  local deadline=$((SECONDS + START_TIMEOUT_S))
  while (( SECONDS < deadline )); do
    if es_health 5; then log "elasticsearch: healthy (yellow or green) on $HOST:$ES_PORT"; return 0; fi
    if [[ -f "$ES_DIR/es.pid" ]] && ! pid_alive "$ES_DIR/es.pid"; then
      tail_log "$ES_DIR/logs/groundstream-dev.log"
      fail "elasticsearch start: process exited (see $ES_DIR/logs)"
    fi
    sleep 1
  done
  tail_log "$ES_DIR/logs/groundstream-dev.log"
  fail "elasticsearch start: _cluster/health did not reach yellow on $HOST:$ES_PORT within ${START_TIMEOUT_S}s"
}

es_stop () { stop_pid elasticsearch "$ES_DIR/es.pid" 60; }

es_status () {
  if es_health 3; then echo "elasticsearch: up (http://$HOST:$ES_PORT)"; return 0; fi
  if pid_alive "$ES_DIR/es.pid"; then echo "elasticsearch: process $(cat "$ES_DIR/es.pid") running but not healthy"; return 1; fi
  echo "elasticsearch: down"; return 1
}

# ---------------------------------------------------------------- Redis

redis_install () {
  if command -v redis-server >/dev/null; then return 0; fi
  if [[ "$(id -u)" != 0 ]]; then fail "redis install: redis-server not found and not root (apt-get install redis-server)"; fi
  log "redis: installing redis-server from Debian apt"
  { apt-get install -y -q redis-server >"$SERVICES_DIR/redis-install.log" 2>&1 \
    || { apt-get update -q >>"$SERVICES_DIR/redis-install.log" 2>&1 && apt-get install -y -q redis-server >>"$SERVICES_DIR/redis-install.log" 2>&1; }; } \
    || { tail_log "$SERVICES_DIR/redis-install.log"; fail "redis install: apt-get install redis-server failed"; }
}

redis_ping () { redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

redis_start () {
  mkdir -p "$REDIS_DIR"
  redis_install
  if redis_ping; then log "redis: already running on $HOST:$REDIS_PORT"; return 0; fi
  log "redis: starting on $HOST:$REDIS_PORT"
  redis-server --bind "$HOST" --port "$REDIS_PORT" --dir "$REDIS_DIR" --daemonize yes \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save '' --appendonly no \
    --protected-mode yes --maxmemory 256mb --maxmemory-policy allkeys-lru \
    || { tail_log "$REDIS_DIR/redis.log"; fail "redis start: redis-server exited with an error"; }
  for _ in $(seq 1 100); do
    if redis_ping; then log "redis: ready on $HOST:$REDIS_PORT"; return 0; fi
    sleep 0.1
  done
  tail_log "$REDIS_DIR/redis.log"
  fail "redis start: no PONG from $HOST:$REDIS_PORT within 10s"
}

redis_stop () { stop_pid redis "$REDIS_DIR/redis.pid" 10; }

redis_status () {
  if redis_ping; then echo "redis: up (redis://$HOST:$REDIS_PORT)"; return 0; fi
  echo "redis: down"; return 1
}

# ---------------------------------------------------------------- dispatch

print_env () {
  echo "export KAFKA_BROKERS=$HOST:$KAFKA_PORT"
  echo "export ELASTICSEARCH_URL=http://$HOST:$ES_PORT"
  echo "export REDIS_URL=redis://$HOST:$REDIS_PORT"
}

usage () {
  echo "usage: $0 install|start|stop|status|env [kafka|elasticsearch|redis|all]" >&2
  exit 2
}

action="${1:-}"
target="${2:-all}"
case "$target" in
  kafka|elasticsearch|redis) services=("$target") ;;
  es) services=(elasticsearch) ;;
  all) services=(redis kafka elasticsearch) ;;
  *) usage ;;
esac
mkdir -p "$SERVICES_DIR"

fn_prefix () {
  case "$1" in
    kafka) echo kafka ;;
    elasticsearch) echo es ;;
    redis) echo redis ;;
  esac
}

case "$action" in
  install)
    for s in "${services[@]}"; do "$(fn_prefix "$s")_install"; done ;;
  start)
    for s in "${services[@]}"; do "$(fn_prefix "$s")_start"; done
    print_env ;;
  stop)
    for (( i=${#services[@]}-1; i>=0; i-- )); do "$(fn_prefix "${services[$i]}")_stop"; done ;;
  status)
    rc=0
    for s in "${services[@]}"; do "$(fn_prefix "$s")_status" || rc=1; done
    exit "$rc" ;;
  env)
    print_env ;;
  *) usage ;;
esac
