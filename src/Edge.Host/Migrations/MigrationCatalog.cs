using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Calltracking.Edge.Host.Migrations;

/// <summary>
/// The migrations of every module, in version order. Each module embeds its own <c>Migrations/NNNN_name.sql</c>
/// files in a reserved version range (host 0001–0099, number pool 0100–0199, call history 0200–0299,
/// recording 0300–0399), so modules evolve their schema independently and the order stays total.
/// </summary>
public static partial class MigrationCatalog
{
    private static readonly string[] ModuleAssemblies =
    [
        "Calltracking.Edge",
        "Calltracking.Edge.NumberPool",
        "Calltracking.Edge.Recording",
    ];

    public static IReadOnlyList<Migration> FromModules()
    {
        var assemblies = ModuleAssemblies.Select(name => Assembly.Load(new AssemblyName(name)));
        return FromAssemblies(assemblies);
    }

    public static IReadOnlyList<Migration> FromAssemblies(IEnumerable<Assembly> assemblies)
    {
        var migrations = new List<Migration>();
        foreach (var assembly in assemblies)
        {
            foreach (var resource in assembly.GetManifestResourceNames())
            {
                var match = ResourceName().Match(resource);
                if (!match.Success)
                {
                    continue;
                }

                using var stream = assembly.GetManifestResourceStream(resource)!;
                using var reader = new StreamReader(stream);
                migrations.Add(new Migration(
                    int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture),
                    match.Groups["name"].Value,
                    reader.ReadToEnd()));
            }
        }

        return Ordered(migrations);
    }

    /// <summary>Sorts by version and rejects two scripts claiming one version.</summary>
    public static IReadOnlyList<Migration> Ordered(IEnumerable<Migration> migrations)
    {
        var ordered = migrations.OrderBy(m => m.Version).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Version == ordered[i - 1].Version)
            {
                throw new InvalidOperationException(
                    $"migrations '{ordered[i - 1].Name}' and '{ordered[i].Name}' both claim version {ordered[i].Version}");
            }
        }

        return ordered;
    }

    [GeneratedRegex(@"\.Migrations\.(?<version>\d{4})_(?<name>[A-Za-z0-9_]+)\.sql$")]
    private static partial Regex ResourceName();
}
