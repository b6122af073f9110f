import SwiftUI

@main
struct SteleSampleApp: App {
    @StateObject private var model = WalletModel()

    var body: some Scene {
        WindowGroup {
            ContentView().environmentObject(model).task { await model.load() }
        }
    }
}
