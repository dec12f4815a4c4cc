namespace Calltracking.Edge.Host.Tests.Operations;

/// <summary>Finds files of the repository (deploy/, docs/) from the test's output directory.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Calltracking.Edge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Calltracking.Edge.sln above {AppContext.BaseDirectory}");
    }
}
