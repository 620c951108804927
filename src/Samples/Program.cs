using System.CommandLine;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.Experiments;
using Adef.Samples;

// Freed CPU tensors stay in the process instead of going back to the system after every model call (attacks on a
// Linux CPU 1.7–2× faster; see CpuTensorMemory). ADEF_MLNET_KEEP_FREED_MEMORY=0 leaves glibc's allocator as it is.
if (Environment.GetEnvironmentVariable("ADEF_MLNET_KEEP_FREED_MEMORY") != "0" && OperatingSystem.IsLinux()
    && !CpuTensorMemory.TryKeepFreedMemory(out string? reason))
    Console.Error.WriteLine($"Note: glibc's allocator is left as it is: {reason}.");

var root = new RootCommand("Adef.MLNet samples: adversarial deformations (ADef) and DeepFool on .NET classifiers.");
root.Subcommands.Add(MnistCommand.Create());
root.Subcommands.Add(AttackCommand.Create());
root.Subcommands.Add(MlNetCommand.Create());
root.Subcommands.Add(ImageNetCommand.Create());
root.Subcommands.Add(AdvTrainCommand.Create());
root.Subcommands.Add(GpuCheckCommand.Create());
return root.Parse(args).Invoke();
