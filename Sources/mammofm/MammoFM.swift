import ArgumentParser
import Torch

@main
struct MammoFM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mammofm",
        abstract: "Mammography vision-language foundation models: train, evaluate, explain, serve.",
        version: MammoFMVersion.string,
        subcommands: [DoctorCommand.self, SmokeTrainCommand.self, EmbedCommand.self, ConvertCommand.self, InspectWeightsCommand.self, DicomCommand.self, PreprocessCommand.self, SynthCommand.self, ContactSheetCommand.self, PretrainCommand.self, ZeroShotCommand.self, ProbeCommand.self, FineTuneCommand.self, EvaluateCommand.self, ReportCommand.self, DatasetCommand.self])
}

enum MammoFMVersion {
    static let string = "0.1.0"
}
