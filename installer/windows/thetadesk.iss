; Inno Setup 6 script for thetadesk: a per-user install that needs no administrator rights.
;
; Compiled by installer\windows\build.ps1, which passes the version and the PyInstaller
; output folder in:
;   ISCC /DAppVersion=0.1.0 /DVersionNumbers=0.1.0 /DSourceDir=..\..\dist\thetadesk /O..\..\dist thetadesk.iss
;
; Result: dist\thetadesk-<version>-windows-x64-setup.exe. It installs the one-folder app to
; %LOCALAPPDATA%\Programs\thetadesk, adds a Start menu shortcut (and optionally a desktop
; one) for the current user, and registers an uninstaller under Settings > Apps.
; The console twin thetadesk-cli.exe is installed beside thetadesk.exe for the CLI.

#ifndef AppVersion
  #error AppVersion is not defined: compile with ISCC /DAppVersion=X.Y.Z (build.ps1 does)
#endif
; VersionInfoVersion takes up to four numbers only; build.ps1 passes the release part of the
; version ("1.2.0" for "1.2.0rc1").
#ifndef VersionNumbers
  #define VersionNumbers AppVersion
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\thetadesk"
#endif
#define AppName "thetadesk"
#define AppExeName "thetadesk.exe"

[Setup]
; The AppId identifies the app across versions (upgrades, uninstall). Never change it.
; "{{" is an escaped "{".
AppId={{E1BAE9DE-7FE8-4F02-A556-32D22214D90C}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=thetadesk
VersionInfoVersion={#VersionNumbers}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} installer
; Per-user install, no UAC prompt: non administrative install mode, in which the "auto"
; constants map to the current user's folders ({autoprograms} = the user's Start menu).
PrivilegesRequired=lowest
; The per-user programs folder. {autopf} would give the same folder ({userpf}, which is
; %LOCALAPPDATA%\Programs), but Wine cannot expand it, and the installer is tested in Wine.
DefaultDirName={localappdata}\Programs\{#AppName}
DisableProgramGroupPage=yes
; The PyInstaller build is 64-bit: refuse 32-bit Windows, install in 64-bit mode.
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
; Ask to close a running thetadesk before its files are replaced.
CloseApplications=yes
RestartApplications=no
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\thetadesk.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName} {#AppVersion}
WizardStyle=modern
Compression=lzma2
SolidCompression=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole bundle: files a newer PyInstaller build no longer has must
; not linger next to the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
