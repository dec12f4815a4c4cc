namespace Calltracking.Edge.IntegrationTests;

/// <summary>Test classes whose edges must not run at the same time as each other (their metrics would mix).</summary>
[CollectionDefinition(Name)]
public sealed class EdgeMetricsCollection
{
    public const string Name = "edge metrics";
}
