using System.CommandLine;

namespace Adef.Cli;

/// <summary>
/// The <c>attack</c> command: attacks an ONNX image classifier on a folder of photos or an idx file with ADef or DeepFool,
/// and writes the adversarial images, results.csv, summary.json and (ADef) examples.png. This file holds its options;
/// <see cref="AttackRun"/> runs it.
/// </summary>
internal static class AttackCommand
{
    /// <summary>The command; <paramref name="cancel"/> stops the attack as Ctrl+C does.</summary>
    public static Command Create(CancellationToken cancel)
    {
        var model = new Option<string>("--model") { Description = "The ONNX classifier (float32 input N×C×H×W)." };
        var images = new Option<string>("--images") { Description = "A folder of PNG/JPEG files (recursive) or an idx image file." };
        var output = new Option<string>("--out") { Description = "Output folder." };
        var labels = new Option<string>("--labels") { Description = "CSV with a header and columns path (relative to --images) and label (or label_index); for idx, an idx1 label file (found automatically beside -images-idx3-ubyte)." };
        var attack = new Option<string>("--attack") { Description = "adef or deepfool.", DefaultValueFactory = _ => "adef" };
        var preset = new Option<string>("--preset") { Description = "ADef defaults of the paper: mnist or imagenet (explicit options override them)." };
        var candidates = new Option<string>("--candidates") { Description = "ADef: candidate ranks, e.g. 1,2,3 (1 = runner-up). DeepFool: the number K of top labels." };
        var maxIterations = new Option<int?>("--max-iterations") { Description = "Iteration limit." };
        var maxNorm = new Option<double?>("--max-norm") { Description = "ADef: budget on ‖τ‖_T in pixels." };
        var sigma = new Option<double?>("--sigma") { Description = "ADef: Gaussian smoothing of each step, in pixels." };
        var overshootFactor = new Option<double?>("--overshoot-factor") { Description = "ADef: factor ≥ 1 applied once to fields that failed or succeeded on a tie." };
        var overshootFraction = new Option<double?>("--overshoot-fraction") { Description = "DeepFool: extra fraction ≥ 0 of the accumulated perturbation." };
        var rankTargeted = new Option<bool>("--rank-targeted") { Description = "ADef: success means landing in the candidate set (the labels at the --candidates ranks)." };
        var targets = new Option<string>("--targets") { Description = "Targeted attack: CSV with a header and columns file (names relative to --images, as in results.csv) and target (class index); every attacked image needs one, and success means ending on it." };
        var batchSize = new Option<int>("--batch-size") { Description = "Images sent to the model at once.", DefaultValueFactory = _ => 32 };
        var norm = new Option<string>("--norm") { Description = "DeepFool: l2 or linf.", DefaultValueFactory = _ => "l2" };
        var size = new Option<string>("--size") { Description = "W,H to resize to (default and only choice: the model's fixed size)." };
        var scale = new Option<double>("--scale") { Description = "Byte scale: value = byte·scale/255 before mean/std (1 or 255).", DefaultValueFactory = _ => 1 };
        var mean = new Option<string>("--mean") { Description = "Per-channel mean, in model channel order (default 0)." };
        var std = new Option<string>("--std") { Description = "Per-channel standard deviation, in model channel order (default 1)." };
        var channels = new Option<string>("--channels") { Description = "rgb, bgr or gray (default: rgb or gray by the model's channels; gray is the BT.601 luma)." };
        var logits = new Option<string>("--logits") { Description = "Name of the logits tensor of the model." };
        var clip = new Option<bool>("--no-clip") { Description = "DeepFool: do not clip to the valid input values (by default each channel stays within the values of bytes 0 and 255)." };
        var resume = new Option<bool>("--resume") { Description = "If --out holds a results.csv, skip the images listed there and append the rest (summary.json covers them all)." };
        var limit = new Option<int>("--limit") { Description = "Attack only the first N images (0 = all).", DefaultValueFactory = _ => 0 };
        var classNames = new Option<string>("--class-names") { Description = "Class names, one per line in class-index order (an ImageNet synset_words.txt works): shown in examples.png and added to results.csv as original_name, adversarial_name, true_name." };
        var validImages = new Option<bool>("--valid-images") { Description = "Return adversarials on the 8-bit pixel grid of --channels/--scale/--mean/--std: each is rounded and re-checked, and a success that rounding undoes is grown until its rounded image fools (or it ends LostToRounding). Adds the column fools_after_rounding to results.csv." };
        var strict = new Option<bool>("--strict") { Description = "Stop at the first image file that cannot be decoded (by default it gets a row with the outcome Unreadable, its reason goes to summary.json, and the run goes on)." };
        var cluster = new Option<string>("--cluster") { Description = "Attack on a cluster of 'adef worker' processes instead of here: the membership store, redis://HOST:PORT (rediss:// for TLS to Redis; user:password@ accepted). The model and images must be at the same paths on every worker." };
        var clusterId = new Option<string>("--cluster-id") { Description = "With --cluster: the cluster's id, as the workers were started with." };
        var shardSize = new Option<int>("--shard-size") { Description = "With --cluster: images per shard, the unit a worker takes (boundaries do not depend on the number of workers).", DefaultValueFactory = _ => 256 };
        var certificate = new Option<string>("--certificate") { Description = "With --cluster: the cluster's certificate (PFX) for mutual TLS; the workers must use the same one." };
        var certificatePassword = new Option<string>("--certificate-password-env") { Description = "With --certificate: the environment variable that holds the certificate's password." };
        var leaseSeconds = new Option<double>("--lease-seconds") { Description = "With --cluster: how long a worker may hold a shard without renewing it (a stalled worker's shard then goes to another; a dead worker's goes as soon as the cluster declares it dead).", DefaultValueFactory = _ => 30 };
        var gate = new GateOptions();
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N: ONNX Runtime's CUDA execution provider (needs the Microsoft.ML.OnnxRuntime.Gpu native package; an error if it cannot load).", DefaultValueFactory = _ => "cpu" };

        var command = new Command("attack",
            "Attack an ONNX image classifier on a folder of photos or an idx file with ADef or DeepFool: adversarial PNGs, results.csv, " +
            "summary.json and (ADef) examples.png in --out. Ctrl+C keeps the finished images; --resume continues. " +
            "--fail-if-success-above / --fail-if-accuracy-below make it a validation gate (exit 2). --cluster runs it on 'adef worker' processes.\n" + ExitCodes.Help);
        foreach (Option option in (Option[])[model, images, output, labels, attack, preset, candidates, maxIterations, maxNorm, sigma,
                     overshootFactor, overshootFraction, rankTargeted, targets, batchSize, norm, size, scale, mean, std, channels, logits, limit, clip, resume, device,
                     classNames, validImages, strict, cluster, clusterId, shardSize, certificate, certificatePassword, leaseSeconds, .. gate.All])
            command.Options.Add(option);
        command.SetAction(parse => AttackRun.Execute(new AttackSettings(
            parse.GetValue(model), parse.GetValue(images), parse.GetValue(output), parse.GetValue(labels), parse.GetValue(attack)!,
            parse.GetValue(preset), parse.GetValue(candidates), parse.GetValue(maxIterations), parse.GetValue(maxNorm),
            parse.GetValue(sigma), parse.GetValue(overshootFactor), parse.GetValue(overshootFraction), parse.GetValue(rankTargeted),
            parse.GetValue(batchSize), parse.GetValue(norm)!, parse.GetValue(size), parse.GetValue(scale), parse.GetValue(mean),
            parse.GetValue(std), parse.GetValue(channels), parse.GetValue(logits), parse.GetValue(limit), parse.GetValue(clip),
            parse.GetValue(resume), parse.GetValue(device)!, parse.GetValue(classNames), gate.Read(parse), parse.GetValue(targets),
            parse.GetValue(validImages), parse.GetValue(strict),
            parse.GetValue(cluster) is { } url
                ? new ClusterSettings(url, parse.GetValue(clusterId), parse.GetValue(shardSize), parse.GetValue(certificate),
                    parse.GetValue(certificatePassword), parse.GetValue(leaseSeconds))
                : null), cancel));
        return command;
    }
}

