#!/usr/bin/env bash
# Builds build/SteleFFIFFI.xcframework from stele-ffi's staticlib for
# aarch64-apple-ios (devices), and aarch64-apple-ios-sim + x86_64-apple-ios
# (simulators, one fat library), with the header and module map of the
# generated bindings. Run on macOS with Xcode, from anywhere:
#   mobile/ios/scripts/build-xcframework.sh
set -euo pipefail
ios=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$ios/../.." && pwd)
out=$ios/build
cd "$root"

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
rustup target add "${targets[@]}"
for t in "${targets[@]}"; do
  cargo build --release --locked -p stele-ffi --target "$t"
done

rm -rf "$out" && mkdir -p "$out/headers" "$out/sim"
# The module the generated Swift imports (`#if canImport(SteleFFIFFI)`).
cp "$ios/Sources/SteleFFI/SteleFFIFFI.h" "$out/headers/"
cp "$ios/Sources/SteleFFI/SteleFFIFFI.modulemap" "$out/headers/module.modulemap"
lipo -create \
  target/aarch64-apple-ios-sim/release/libstele_ffi.a \
  target/x86_64-apple-ios/release/libstele_ffi.a \
  -output "$out/sim/libstele_ffi.a"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libstele_ffi.a -headers "$out/headers" \
  -library "$out/sim/libstele_ffi.a" -headers "$out/headers" \
  -output "$out/SteleFFIFFI.xcframework"
echo "built $out/SteleFFIFFI.xcframework"
