using Adef.Experiments;
using Adef.GpuCheck;

// The CPU side of the comparison runs with the same allocator setting as the samples, so its images/s match theirs.
FreedTensorMemory.KeepUnlessDisabled();

// gpu-check is the whole program: its options follow the program name (GpuCheck --images 50 ...), no subcommand.
return GpuCheckCommand.Create().Parse(args).Invoke();
