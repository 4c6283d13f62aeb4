#!/usr/bin/env bash
# Generates the grpc-java client from proto/ (Maven's protobuf plugin), builds this example and runs it.
# Maven's downloads stay in ~/.m2, so later runs are quick. Usage: bash examples/java/run.sh 127.0.0.1:8080
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mvn -q -B -Dstyle.color=never -f "$here/pom.xml" package -DskipTests 1>&2
exec java -jar "$here/target/vertexchat-java-example-1.0.0.jar" "$@"
