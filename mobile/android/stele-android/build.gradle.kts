// stele-android: the generated Kotlin bindings of stele-ffi (package
// dev.stele.ffi), the native library for each ABI (jniLibs), and the
// idiomatic API in dev.stele.android.
//
// `./gradlew :stele-android:generateSteleBindings` (or any build, which
// depends on it) runs, from the repository root:
//   cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -o <module>/src/main/jniLibs build --release -p stele-ffi
//   cargo build -p uniffi-bindgen
//   target/debug/uniffi-bindgen generate --no-format --library <a built libstele_ffi.so> --language kotlin --out-dir <module>/build/generated/uniffi
// Set `-Pstele.skipRust=true` to build against bindings and libraries made beforehand.
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

val repoRoot = rootDir.resolve("../..").canonicalFile
val generatedBindings = layout.buildDirectory.dir("generated/uniffi")
val jniLibsDir = file("src/main/jniLibs")
val skipRust = providers.gradleProperty("stele.skipRust").map { it.toBoolean() }.getOrElse(false)

android {
    namespace = "dev.stele.android"
    compileSdk = 35
    ndkVersion = "27.2.12479018"

    defaultConfig {
        minSdk = 28
        consumerProguardFiles("consumer-rules.pro")
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
    }

    sourceSets["main"].kotlin.srcDir(generatedBindings)
    sourceSets["main"].jniLibs.srcDir(jniLibsDir)

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

dependencies {
    // JNA as an AAR: it carries libjnidispatch.so for every ABI.
    implementation("${libs.jna.get()}@aar")
    api(libs.kotlinx.coroutines.android)
    testImplementation(libs.junit)
}

val cargoNdk by tasks.registering(Exec::class) {
    description = "Builds libstele_ffi.so for arm64-v8a, armeabi-v7a and x86_64 with cargo-ndk"
    onlyIf { !skipRust }
    workingDir = repoRoot
    commandLine(
        "cargo", "ndk", "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "-o", jniLibsDir.absolutePath, "build", "--release", "--locked", "-p", "stele-ffi",
    )
}

val generateSteleBindings by tasks.registering(Exec::class) {
    description = "Generates the Kotlin bindings from the built library with the workspace's uniffi-bindgen"
    onlyIf { !skipRust }
    dependsOn(cargoNdk)
    workingDir = repoRoot
    val out = generatedBindings.get().asFile
    commandLine(
        "sh", "-c",
        "cargo build --locked -p uniffi-bindgen && target/debug/uniffi-bindgen generate --no-format " +
            "--library '${jniLibsDir.absolutePath}/arm64-v8a/libstele_ffi.so' --language kotlin --out-dir '$out'",
    )
}

tasks.named("preBuild") { dependsOn(generateSteleBindings) }
