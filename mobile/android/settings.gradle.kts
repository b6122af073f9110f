// The Android side of Stele: the `stele-android` library (the generated
// Kotlin bindings, an idiomatic coroutine API, Keystore/StrongBox platform
// keys) and a sample app. See README.md for building the native library.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "stele-mobile-android"
include(":stele-android", ":sample")
