namespace Adef.Cli;

/// <summary>
/// Ctrl+C as a cancellation token: while this lives, Ctrl+C cancels <see cref="Token"/> instead of killing the process, so
/// a command can stop cleanly after writing what it finished. <see cref="Token"/> also follows the caller's token.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly ConsoleCancelEventHandler _onCancel;

    /// <summary>Starts catching Ctrl+C.</summary>
    /// <param name="cancel">Cancels <see cref="Token"/> too (tests stop commands through it).</param>
    public Interruption(CancellationToken cancel)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _onCancel = (_, e) =>
        {
            e.Cancel = true;
            _source.Cancel();
        };
        Console.CancelKeyPress += _onCancel;
    }

    /// <summary>Canceled by Ctrl+C or the caller's token.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Stops catching Ctrl+C.</summary>
    public void Dispose()
    {
        Console.CancelKeyPress -= _onCancel;
        _source.Dispose();
    }
}
