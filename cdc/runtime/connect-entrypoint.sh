#!/bin/sh
# Entrypoint of the Kafka Connect container (docker-compose.yml): writes the REST API's basic-auth realm,
# its JAAS file and the connector secrets from the environment into a 0700 folder as 0600 files (the same
# files cdc/src/runtime/connect-security.ts writes for the local stack), then runs the worker.
set -eu
: "${CONNECT_USER:?set CONNECT_USER}"
: "${CONNECT_PASSWORD:?set CONNECT_PASSWORD}"
: "${DEBEZIUM_PASSWORD:?set DEBEZIUM_PASSWORD}"
# The values go into java.util.Properties files and URLs unescaped: keep them to a safe alphabet.
for name in CONNECT_USER CONNECT_PASSWORD DEBEZIUM_PASSWORD; do
  eval "value=\$$name"
  case "$value" in
    *[!A-Za-z0-9._~-]*) echo "$name may contain only letters, digits and . _ ~ - (generate one with: openssl rand -hex 24)" >&2; exit 64 ;;
  esac
done

secrets=/opt/cdc/secrets
umask 077
mkdir -p "$secrets"
chmod 700 "$secrets"
printf '%s: %s\n' "$CONNECT_USER" "$CONNECT_PASSWORD" > "$secrets/rest-realm.properties"
cat > "$secrets/rest-jaas.conf" <<JAAS
KafkaConnect {
  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
  file="$secrets/rest-realm.properties";
};
JAAS
printf 'debezium.password=%s\n' "$DEBEZIUM_PASSWORD" > "$secrets/connector-secrets.properties"
chmod 600 "$secrets"/*
# The worker reads the files; it does not need the variables.
unset CONNECT_PASSWORD DEBEZIUM_PASSWORD

exec java -Xms256m -Xmx768m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
  -Djava.security.auth.login.config="$secrets/rest-jaas.conf" \
  -Dlog4j2.configurationFile=/opt/cdc/log4j2.properties -cp '/opt/cdc/lib/*' \
  org.apache.kafka.connect.cli.ConnectDistributed /opt/cdc/connect-compose.properties
