package dev.stele.android

import dev.stele.ffi.QrCodeMatrix

/**
 * Draws a presentation's QR matrix without an image library: ARGB pixels
 * for `Bitmap.createBitmap(pixels, side, side, Bitmap.Config.ARGB_8888)`,
 * or module queries for a Compose `Canvas`. The quiet zone (4 light
 * modules, ISO/IEC 18004) is included.
 */
object QrImage {
    /** Light modules around the symbol. */
    const val QUIET_ZONE = 4

    /** Modules per side, quiet zone included. */
    fun modulesPerSide(m: QrCodeMatrix): Int = m.size.toInt() + 2 * QUIET_ZONE

    /** Whether module (`x`, `y`) is dark, in coordinates that include the quiet zone. */
    fun isDark(m: QrCodeMatrix, x: Int, y: Int): Boolean {
        val size = m.size.toInt()
        val mx = x - QUIET_ZONE
        val my = y - QUIET_ZONE
        return mx in 0 until size && my in 0 until size && m.modules[my * size + mx].toInt() != 0
    }

    /** Pixels per side at `scale` pixels per module. */
    fun side(m: QrCodeMatrix, scale: Int): Int = modulesPerSide(m) * scale

    /** Row-major ARGB pixels, `side(m, scale)` squared. */
    fun pixels(
        m: QrCodeMatrix,
        scale: Int,
        dark: Int = 0xFF000000.toInt(),
        light: Int = 0xFFFFFFFF.toInt(),
    ): IntArray {
        require(scale in 1..64) { "scale must be 1..64" }
        val size = m.size.toInt()
        require(size > 0 && m.modules.size == size * size) { "malformed QR matrix" }
        val n = modulesPerSide(m)
        val side = n * scale
        val out = IntArray(side * side)
        for (py in 0 until side) {
            val y = py / scale
            for (px in 0 until side) {
                out[py * side + px] = if (isDark(m, px / scale, y)) dark else light
            }
        }
        return out
    }
}
