namespace Albs.Tests.Support;

/// <summary>Base of tests that each get the real web host on their own fresh SQLite database.</summary>
public abstract class WebAppTest : IDisposable
{
    private bool disposed;

    protected WebAppTest()
    {
        Database = TestDatabase.Sqlite();
        App = new AlbsWebApp(Database);
    }

    internal TestDatabase Database { get; }

    internal AlbsWebApp App { get; }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposed && disposing)
        {
            App.Dispose();
            Database.Dispose();
        }

        disposed = true;
    }
}
