import Foundation
import CoreGraphics
import SteleFFI

/// Draws a presentation's QR matrix: module queries (for a SwiftUI `Canvas`)
/// or a `CGImage`, quiet zone (4 light modules) included.
public enum QrImage {
    public static let quietZone = 4

    /// Modules per side, quiet zone included.
    public static func modulesPerSide(_ m: QrCodeMatrix) -> Int { Int(m.size) + 2 * quietZone }

    /// Whether module (`x`, `y`) is dark, in coordinates that include the quiet zone.
    public static func isDark(_ m: QrCodeMatrix, x: Int, y: Int) -> Bool {
        let size = Int(m.size)
        let mx = x - quietZone, my = y - quietZone
        guard mx >= 0, my >= 0, mx < size, my < size, m.modules.count == size * size else { return false }
        return m.modules[m.modules.startIndex + my * size + mx] != 0
    }

    /// A grayscale image, `scale` pixels per module (nearest-neighbour sharp).
    public static func cgImage(_ m: QrCodeMatrix, scale: Int = 8) -> CGImage? {
        let n = modulesPerSide(m)
        let side = n * scale
        var pixels = [UInt8](repeating: 255, count: side * side)
        for y in 0 ..< n {
            for x in 0 ..< n where isDark(m, x: x, y: y) {
                for dy in 0 ..< scale {
                    let row = (y * scale + dy) * side + x * scale
                    for dx in 0 ..< scale { pixels[row + dx] = 0 }
                }
            }
        }
        guard let provider = CGDataProvider(data: Data(pixels) as CFData) else { return nil }
        return CGImage(
            width: side, height: side, bitsPerComponent: 8, bitsPerPixel: 8, bytesPerRow: side,
            space: CGColorSpaceCreateDeviceGray(), bitmapInfo: CGBitmapInfo(rawValue: CGImageAlphaInfo.none.rawValue),
            provider: provider, decode: nil, shouldInterpolate: false, intent: .defaultIntent
        )
    }
}
