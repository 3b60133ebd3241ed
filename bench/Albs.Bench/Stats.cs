namespace Albs.Bench;

/// <summary>Order statistics of a sample, in the sample's own unit.</summary>
internal sealed record Stats(int Count, double Min, double P50, double P95, double P99, double Max, double Mean)
{
    /// <summary>
    /// Nearest-rank percentiles (the smallest value with at least p % of the sample at or below it):
    /// with 100 values p99 is the second largest, with 50 or fewer it is the largest.
    /// </summary>
    public static Stats Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new InvalidOperationException("no samples");
        }

        return new Stats(sorted.Length, sorted[0], Rank(sorted, 50), Rank(sorted, 95), Rank(sorted, 99), sorted[^1], sorted.Average());
    }

    /// <summary>The middle value, or the mean of the two middle values of an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? throw new InvalidOperationException("no samples")
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Rank(double[] sorted, double percent) =>
        sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
