<#
.SYNOPSIS
    Build the thetadesk Windows installer: PyInstaller, self-test, Inno Setup.

.DESCRIPTION
    1. PyInstaller with build_installer.spec -> dist\thetadesk\ (thetadesk.exe, the windowed
       app, and thetadesk-cli.exe, its console twin).
    2. dist\thetadesk\thetadesk-cli.exe --self-test, and --version: nothing is packaged
       unless the frozen app passes.
    3. Inno Setup's ISCC with installer\windows\thetadesk.iss, the version read from
       thetadesk\__init__.py -> dist\thetadesk-<version>-windows-x64-setup.exe.
    4. With -TestInstall: install that setup silently into a temporary folder, run the
       installed thetadesk-cli.exe --self-test, uninstall silently, check the folder is gone.

    The Python used must have the app and PyInstaller installed: pip install ".[installer]".
    THETADESK_CONSOLE and THETADESK_DEBUG are passed through to the spec.

.PARAMETER Python
    The Python interpreter to build with. Default: python (from PATH).

.PARAMETER Iscc
    Path to ISCC.exe. Default: ISCC.exe on PATH, else the usual Inno Setup 6 folders.

.PARAMETER TestInstall
    Also install, self-test and uninstall the built setup (the CI workflow does this).

.EXAMPLE
    pwsh -File installer\windows\build.ps1 -TestInstall
#>
[CmdletBinding()]
param(
    [string]$Python = "python",
    [string]$Iscc = "",
    [switch]$TestInstall
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = "Stop"

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
$Dist = Join-Path $Root "dist"
$Work = Join-Path $Root "build"
$AppDir = Join-Path $Dist "thetadesk"
$Spec = Join-Path $Root "build_installer.spec"
$IssFile = Join-Path $PSScriptRoot "thetadesk.iss"

function Write-Step([string]$Message) {
    Write-Host "[windows/build.ps1] $Message"
}

# Runs a native program (in a script block) and throws if its exit code is not 0. Inside,
# $ErrorActionPreference is Continue: Windows PowerShell 5.1 turns a native program's stderr
# (PyInstaller logs there) into error records when output is redirected, as on CI, and
# "Stop" would abort on the first one. PowerShell 7 never does; this works with both.
function Invoke-Native([string]$What, [scriptblock]$Command) {
    $saved = $ErrorActionPreference
    $ErrorActionPreference = "Continue"
    # -1 stays if the program never started (not found): under Continue that is only an
    # error record, and a stale 0 from an earlier program must not pass for success.
    $global:LASTEXITCODE = -1
    try {
        & $Command
    } finally {
        $ErrorActionPreference = $saved
    }
    if ($global:LASTEXITCODE -ne 0) {
        throw "$What failed with exit code $global:LASTEXITCODE"
    }
}

function Find-Iscc {
    if ($Iscc) {
        if (Test-Path -LiteralPath $Iscc -PathType Leaf) { return $Iscc }
        throw "ISCC.exe not found at $Iscc"
    }
    $onPath = Get-Command "ISCC.exe" -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    $folders = @(${env:ProgramFiles(x86)}, $env:ProgramFiles, (Join-Path $env:LOCALAPPDATA "Programs"))
    foreach ($folder in $folders) {
        if (-not $folder) { continue }
        $candidate = Join-Path $folder "Inno Setup 6\ISCC.exe"
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { return $candidate }
    }
    throw "Inno Setup 6 not found: install it (choco install innosetup) or pass -Iscc"
}

# The version as the spec reads it: parsed from the package, not imported.
$init = Get-Content -Raw -LiteralPath (Join-Path $Root "thetadesk\__init__.py")
if ($init -notmatch '(?m)^__version__\s*=\s*"([^"]+)"') {
    throw "no __version__ in thetadesk\__init__.py"
}
$Version = $Matches[1]
# The release part, at most four numbers, for the Windows version resources.
if ($Version -notmatch '^\d+(\.\d+){0,3}') { throw "version $Version does not start with a number" }
$VersionNumbers = $Matches[0]
Write-Step "thetadesk $Version"

# -- 1. the frozen app -------------------------------------------------------------------------
Invoke-Native "PyInstaller" { & $Python -m PyInstaller --noconfirm --clean --distpath $Dist --workpath $Work $Spec }
$Cli = Join-Path $AppDir "thetadesk-cli.exe"
foreach ($exe in @((Join-Path $AppDir "thetadesk.exe"), $Cli)) {
    if (-not (Test-Path -LiteralPath $exe -PathType Leaf)) { throw "PyInstaller made no $exe" }
}

# -- 2. smoke test before packaging ------------------------------------------------------------
Invoke-Native "thetadesk-cli --self-test" { & $Cli --self-test }
Invoke-Native "thetadesk-cli --version" { & $Cli --version }

# -- 3. the installer --------------------------------------------------------------------------
$IsccExe = Find-Iscc
Write-Step "compiling $IssFile with $IsccExe"
Invoke-Native "ISCC" {
    & $IsccExe "/DAppVersion=$Version" "/DVersionNumbers=$VersionNumbers" "/DSourceDir=$AppDir" "/O$Dist" $IssFile
}
$Setup = Join-Path $Dist "thetadesk-$Version-windows-x64-setup.exe"
if (-not (Test-Path -LiteralPath $Setup -PathType Leaf)) { throw "ISCC made no $Setup" }

# -- 4. optional: install, self-test, uninstall ------------------------------------------------
if ($TestInstall) {
    $Target = Join-Path ([System.IO.Path]::GetTempPath()) "thetadesk-install-test"
    $SetupLog = Join-Path $Work "setup-test.log"
    Write-Step "test install into $Target"
    # Setup is a GUI program: Start-Process -Wait is what waits for it and gets its exit code.
    $install = Start-Process -FilePath $Setup -Wait -PassThru -ArgumentList @(
        "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/DIR=`"$Target`"", "/LOG=`"$SetupLog`""
    )
    if ($install.ExitCode -ne 0) { throw "silent install failed with exit code $($install.ExitCode); see $SetupLog" }
    $InstalledCli = Join-Path $Target "thetadesk-cli.exe"
    Invoke-Native "installed thetadesk-cli --self-test" { & $InstalledCli --self-test }
    $uninstaller = Join-Path $Target "unins000.exe"
    $uninstall = Start-Process -FilePath $uninstaller -Wait -PassThru -ArgumentList @(
        "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART"
    )
    if ($uninstall.ExitCode -ne 0) { throw "silent uninstall failed with exit code $($uninstall.ExitCode)" }
    # The uninstaller's clone deletes its own copy last; give it a few seconds.
    $deadline = (Get-Date).AddSeconds(30)
    while ((Test-Path -LiteralPath (Join-Path $Target "thetadesk.exe")) -and ((Get-Date) -lt $deadline)) {
        Start-Sleep -Milliseconds 500
    }
    if (Test-Path -LiteralPath (Join-Path $Target "thetadesk.exe")) { throw "uninstall left $Target\thetadesk.exe" }
    Write-Step "install, self-test and uninstall passed"
}

$sizeMiB = [math]::Round((Get-Item -LiteralPath $Setup).Length / 1MB, 1)
$appMiB = [math]::Round(((Get-ChildItem -LiteralPath $AppDir -Recurse -File | Measure-Object -Property Length -Sum).Sum) / 1MB, 1)
Write-Step "app folder: $AppDir ($appMiB MiB)"
Write-Step "installer:  $Setup ($sizeMiB MiB)"
