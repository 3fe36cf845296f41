; Inno Setup script for NextHub on Windows (Inno Setup 6: iscc packaging\windows\nexthub.iss).
; It packs the PyInstaller bundle folder built on Windows (dist\nexthub, from
; packaging\nexthub.spec) and installs it for the current user, without admin rights.
;
; Uninstalling deletes that user's NextHub data: first `nexthub.exe data wipe --yes`
; (the same code as "Delete all my data": it also deletes the key's entry in the
; Windows Credential Manager), then the app-data folder itself, for anything the wipe
; could not reach. The folder is the one nexthub/paths.py uses on Windows
; (platformdirs: %LOCALAPPDATA%\NextHub\NextHub for data, config, cache and logs);
; tests/unit/test_packaging.py checks the two agree.

#define AppName "NextHub"
#define AppVersion GetEnv("NEXTHUB_VERSION")
#if AppVersion == ""
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{5E1C6C1B-0B7E-4B8C-9A51-6E0F2B6C4E11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=NextHub developers
DefaultDirName={localappdata}\Programs\NextHub
DefaultGroupName=NextHub
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=NextHub-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\nexthub.exe
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "..\..\dist\nexthub\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\NextHub"; Filename: "{app}\nexthub.exe"
Name: "{group}\Uninstall NextHub"; Filename: "{uninstallexe}"

[UninstallRun]
; The wipe, as the user who uninstalls (the install is per user): chats, key,
; keyring entry, settings, API keys, models, logs, caches.
Filename: "{app}\nexthub.exe"; Parameters: "data wipe --yes"; Flags: runhidden waituntilterminated; RunOnceId: "WipeNextHubData"

[UninstallDelete]
; What the wipe leaves (it keeps models the user added by reference from inside
; these folders; they are deleted here only if the user put them there).
Type: filesandordirs; Name: "{localappdata}\NextHub"
Type: filesandordirs; Name: "{app}"
