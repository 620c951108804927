using System.CommandLine;
using Adef.Experiments;
using Adef.Samples;

FreedTensorMemory.KeepUnlessDisabled();

var root = new RootCommand("Adef.MLNet samples: the ADef paper's experiments (attacking your own ONNX model is the adef tool's job: src/Adef.Cli).");
root.Subcommands.Add(MnistCommand.Create());
root.Subcommands.Add(MlNetCommand.Create());
root.Subcommands.Add(ImageNetCommand.Create());
root.Subcommands.Add(ImageNetPipelineCommand.Create());
root.Subcommands.Add(AdvTrainCommand.Create());
root.Subcommands.Add(ClusterInputsCommand.Create());
return root.Parse(args).Invoke();
