using System.Globalization;

namespace Calltracking.Edge.NumberPool.Simulation;

/// <summary>
/// A random duration in minutes, written as the simulator's options take it: <c>exp:MEAN</c>, <c>uniform:MIN-MAX</c>,
/// <c>fixed:X</c> or <c>lognormal:MEDIAN:SIGMA</c>.
/// </summary>
public sealed class Distribution
{
    private readonly Func<Random, double> sample;

    private Distribution(string text, double mean, Func<Random, double> sample)
    {
        Text = text;
        Mean = mean;
        this.sample = sample;
    }

    public string Text { get; }

    /// <summary>The distribution's mean, in minutes.</summary>
    public double Mean { get; }

    public double Sample(Random random) => Math.Max(0, sample(random));

    public override string ToString() => Text;

    public static Distribution Parse(string text)
    {
        if (TryParse(text, out var distribution, out var error))
        {
            return distribution;
        }

        throw new FormatException(error);
    }

    public static bool TryParse(string text, out Distribution distribution, out string error)
    {
        distribution = null!;
        var parts = text.Split(':');
        var kind = parts[0];
        double[] numbers;
        try
        {
            numbers = [.. parts.Skip(1).SelectMany(p => kind == "uniform" ? p.Split('-') : [p]).Select(p => double.Parse(p, NumberStyles.Float, CultureInfo.InvariantCulture))];
        }
        catch (FormatException)
        {
            error = $"'{text}': numbers must be decimal (exp:3, uniform:1-10, fixed:2, lognormal:3:0.8)";
            return false;
        }

        if (numbers.Any(n => n < 0 || !double.IsFinite(n)))
        {
            error = $"'{text}': minutes must be finite and not negative";
            return false;
        }

        switch (kind)
        {
            case "exp" when numbers.Length == 1 && numbers[0] > 0:
                var mean = numbers[0];
                distribution = new Distribution(text, mean, r => -mean * Math.Log(1 - r.NextDouble()));
                break;
            case "uniform" when numbers.Length == 2 && numbers[0] <= numbers[1]:
                var (min, max) = (numbers[0], numbers[1]);
                distribution = new Distribution(text, (min + max) / 2, r => min + ((max - min) * r.NextDouble()));
                break;
            case "fixed" when numbers.Length == 1:
                var value = numbers[0];
                distribution = new Distribution(text, value, _ => value);
                break;
            case "lognormal" when numbers.Length == 2 && numbers[0] > 0:
                var (mu, sigma) = (Math.Log(numbers[0]), numbers[1]);
                distribution = new Distribution(text, Math.Exp(mu + (sigma * sigma / 2)), r => Math.Exp(mu + (sigma * Normal(r))));
                break;
            default:
                error = $"'{text}': expected exp:MEAN (> 0), uniform:MIN-MAX, fixed:X or lognormal:MEDIAN:SIGMA, in minutes";
                return false;
        }

        error = string.Empty;
        return true;
    }

    private static double Normal(Random random)
    {
        // Box–Muller.
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
