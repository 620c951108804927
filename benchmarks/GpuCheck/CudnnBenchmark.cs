using System.Runtime.InteropServices;

namespace Adef.GpuCheck;

/// <summary>
/// libtorch's <c>cudnn.benchmark</c> switch (PyTorch's <c>torch.backends.cudnn.benchmark</c>), which TorchSharp 0.107 does not
/// expose: with it on, cuDNN times its convolution algorithms once per new shape and keeps the fastest. Reached through
/// the C++ exports of the libtorch already loaded (<c>at::globalContext()</c> and <c>at::Context::setBenchmarkCuDNN</c>),
/// so a libtorch without them is reported, never guessed around. gpu-check's <c>--cudnn-benchmark</c> times ADef with it.
/// </summary>
internal static class CudnnBenchmark
{
    private const string Library = "libtorch_cpu.so";
    private const string GlobalContext = "_ZN2at13globalContextEv";
    private const string Setter = "_ZN2at7Context17setBenchmarkCuDNNEb";
    private const string Getter = "_ZNK2at7Context14benchmarkCuDNNEv";

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContextFunction();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetFunction(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    private delegate bool GetFunction(IntPtr context);

    private sealed record Binding(IntPtr Context, SetFunction Set, GetFunction Get);

    // Bound once: the exports and the context do not change while the process runs.
    private static readonly Lazy<(Binding? Binding, string? Error)> Bound = new(Bind);

    /// <summary>Turns the switch on or off; returns the reason when libtorch's exports cannot be reached.</summary>
    public static bool TrySet(bool enabled, out string? error)
    {
        (Binding? binding, error) = Bound.Value;
        binding?.Set(binding.Context, enabled);
        return binding is not null;
    }

    /// <summary>The switch's current value, or null (with the reason) when libtorch's exports cannot be reached.</summary>
    public static bool? Get(out string? error)
    {
        (Binding? binding, error) = Bound.Value;
        return binding?.Get(binding.Context);
    }

    private static (Binding?, string?) Bind()
    {
        if (!TryGetContext(out IntPtr library, out IntPtr context, out string? error, Setter, Getter)) return (null, error);
        return (new Binding(context, Marshal.GetDelegateForFunctionPointer<SetFunction>(NativeLibrary.GetExport(library, Setter)),
            Marshal.GetDelegateForFunctionPointer<GetFunction>(NativeLibrary.GetExport(library, Getter))), null);
    }

    /// <summary>
    /// The loaded libtorch and its <c>at::globalContext()</c>, provided it also exports <paramref name="exports"/>;
    /// otherwise false with the reason.
    /// </summary>
    internal static bool TryGetContext(out IntPtr library, out IntPtr context, out string? error, params string[] exports)
    {
        (context, error) = (IntPtr.Zero, null);
        // Once TorchSharp has loaded libtorch, the dynamic loader answers its soname with that copy, not a second one.
        _ = TorchSharp.torch.cuda.is_available();
        if (!NativeLibrary.TryLoad(Library, out library))
        {
            error = $"{Library} could not be loaded";
            return false;
        }
        IntPtr loaded = library;
        string? missing = exports.Prepend(GlobalContext).FirstOrDefault(name => !NativeLibrary.TryGetExport(loaded, name, out _));
        if (missing is not null)
        {
            error = $"{Library} does not export {missing}";
            return false;
        }
        context = Marshal.GetDelegateForFunctionPointer<GlobalContextFunction>(NativeLibrary.GetExport(library, GlobalContext))();
        return true;
    }
}
