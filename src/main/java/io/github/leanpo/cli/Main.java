package io.github.leanpo.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code leanpo} command line. Every error is one line on stderr and a non-zero exit status:
 * 2 for a usage error, 1 for anything that went wrong while running.
 */
@Command(name = "leanpo", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "LeanPO preference alignment for video language models on the JVM.",
        subcommands = {LossCommand.class, BenchCommand.class, InfoCommand.class, PairsCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI and returns its exit status (for tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("leanpo: " + ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            err.println("leanpo: " + describe(ex));
            return 1;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            err.println("leanpo: out of memory (" + e.getMessage() + "); give the JVM more with LEANPO_JAVA_OPTS=-Xmx8g or use a smaller shape");
            return 1;
        } catch (LinkageError e) {
            err.println("leanpo: a native library could not be loaded (" + e.getMessage() + "); rebuild with 'mvn package' or check that the "
                    + "platform jars for " + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + " are on the class path");
            return 1;
        }
    }

    static String describe(Throwable ex) {
        String m = ex.getMessage();
        if (ex instanceof java.nio.file.NoSuchFileException) {
            return "no such file: " + m;
        }
        if (ex instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + m;
        }
        if (m == null || m.isBlank()) {
            return ex.getClass().getSimpleName();
        }
        return m;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"leanpo " + (v != null ? v : "(development build)")};
        }
    }
}
