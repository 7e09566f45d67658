#!/usr/bin/env bash
# benchmarks/cuda/prepare-java.sh — packs what the Java GPU tests need into .device/ (ignored by git),
# for a GPU machine that has no Java and no Maven (the lent device machine): a jlink'd Java 17 runtime,
# leanpo's classes with its natives, the test classes, and the few runtime jars (JavaCPP, the CUDA
# presets, the JUnit console). benchmarks/cuda/run.sh runs the tests from there when .device/ is present.
# Run it here, after a build with nvcc (so libleanpo has its CUDA part); carry .device with the tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -ntp -q -DskipTests test-compile
rm -rf .device
mkdir -p .device/lib
jlink=${JAVA_HOME:+$JAVA_HOME/bin/}jlink
"$jlink" --add-modules java.base,java.logging,java.management,java.xml,jdk.unsupported --strip-debug --no-header-files \
    --no-man-pages --compress=2 --output .device/jre 2>/dev/null
cp -r target/classes .device/classes
cp -r target/test-classes .device/test-classes
repo=${MAVEN_REPO:-$HOME/.m2/repository}
v=1.5.13
junit=1.13.4
mvn -B -ntp -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit >/dev/null
for jar in org/bytedeco/javacpp/$v/javacpp-$v.jar org/bytedeco/javacpp/$v/javacpp-$v-linux-x86_64.jar \
           org/bytedeco/cuda/13.1-9.19-$v/cuda-13.1-9.19-$v.jar \
           org/junit/platform/junit-platform-console-standalone/$junit/junit-platform-console-standalone-$junit.jar; do
  cp "$repo/$jar" .device/lib/
done
# of the CUDA presets' natives, the tests load the runtime's and cuBLAS's glue only
mkdir -p .device/tmp && (cd .device/tmp && unzip -q "$repo/org/bytedeco/cuda/13.1-9.19-$v/cuda-13.1-9.19-$v-linux-x86_64.jar" \
    'org/bytedeco/cuda/linux-x86_64/libjnicudart.so' 'org/bytedeco/cuda/linux-x86_64/libjnicublas.so' 'META-INF/*' 2>/dev/null || true;
    "${JAVA_HOME:+$JAVA_HOME/bin/}jar" --create --file ../lib/cuda-13.1-9.19-$v-linux-x86_64.jar .)
rm -rf .device/tmp
du -sh .device | sed 's/^/prepare-java: /'
