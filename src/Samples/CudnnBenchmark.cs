using System.Runtime.InteropServices;

namespace Adef.Samples;

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

    /// <summary>Turns the switch on or off; returns the reason when libtorch's exports cannot be reached.</summary>
    public static bool TrySet(bool enabled, out string? error)
    {
        if (!TryBind(out var context, out var set, out _, out error)) return false;
        set!(context, enabled);
        return true;
    }

    /// <summary>The switch's current value, or null (with the reason) when libtorch's exports cannot be reached.</summary>
    public static bool? Get(out string? error) =>
        TryBind(out var context, out _, out var get, out error) ? get!(context) : null;

    private static bool TryBind(out IntPtr context, out SetFunction? set, out GetFunction? get, out string? error)
    {
        (set, get) = (null, null);
        if (!TryGetContext(out IntPtr library, out context, out error, Setter, Getter)) return false;
        set = Marshal.GetDelegateForFunctionPointer<SetFunction>(NativeLibrary.GetExport(library, Setter));
        get = Marshal.GetDelegateForFunctionPointer<GetFunction>(NativeLibrary.GetExport(library, Getter));
        return true;
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
