using Adef.Cli;

return AdefCli.Invoke(args, Console.Out, Console.Error, CancellationToken.None);
