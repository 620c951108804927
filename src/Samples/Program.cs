using System.CommandLine;
using Adef.Samples;

var root = new RootCommand("Adef.MLNet samples: adversarial deformations (ADef) and DeepFool on .NET classifiers.");
root.Subcommands.Add(MnistCommand.Create());
return root.Parse(args).Invoke();
