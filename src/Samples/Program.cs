using System.CommandLine;
using Adef.Experiments;
using Adef.Samples;

FreedTensorMemory.KeepUnlessDisabled();

var root = new RootCommand("Adef.MLNet samples: adversarial deformations (ADef) and DeepFool on .NET classifiers.");
root.Subcommands.Add(MnistCommand.Create());
root.Subcommands.Add(AttackCommand.Create());
root.Subcommands.Add(MlNetCommand.Create());
root.Subcommands.Add(ImageNetCommand.Create());
root.Subcommands.Add(AdvTrainCommand.Create());
return root.Parse(args).Invoke();
