import { redact, secretInRemote } from './secrets';

const SECRET = 'hunter2';

/** Every spelling rclone takes for a credential in a connection string. */
const SPELLINGS = [
  `:webdav,url="http://127.0.0.1:8080",user=bob,pass=${SECRET}:`,
  `:webdav,url='http://127.0.0.1:8080',user=bob,pass='${SECRET}':dir`,
  `:webdav,url="http://bob:${SECRET}@127.0.0.1:8080":`,
  `:http,url=http://bob:${SECRET}@example.org/files:`,
  `:sftp,host=h,user=bob,password=${SECRET}:/`,
  `:sftp,host=h,PASS=${SECRET}:/`,
  `:sftp,host=h,Pass="${SECRET}":/`,
  `:sftp,host=h,key_pem="${SECRET}":/`,
  `:sftp,host=h,key-file-pass=${SECRET}:/`,
  `:s3,access_key_id=AKIA,secret_access_key=${SECRET}:bucket`,
  `:s3,session_token=${SECRET}:bucket`,
  `:azureblob,account=a,key=${SECRET}:c`,
  `:azureblob,sas_url="https://a.blob.core.windows.net/c?sig=${SECRET}":c`,
  `:drive,token='{"access_token":"${SECRET}"}':`,
  `:drive,client_secret=${SECRET}:`,
  `:drive,service_account_credentials="{""private_key"":""${SECRET}""}":`,
  `:webdav,url="http://h",bearer_token=${SECRET}:`,
  `:swift,auth_token=${SECRET}:c`,
  `:crypt,remote=":sftp,host=h,pass=${SECRET}:/x",password2=y:`,
  `:crypt,remote="local:/x",password=${SECRET}:`,
  `gdrive,token=${SECRET}:folder`,
  `myremote,RCLONE_CONFIG_MYREMOTE_PASS=${SECRET}:`,
  `:ftp,host=h,pass=${SECRET}:`
];

test('refuses a credential in every spelling rclone accepts in a connection string', () => {
  for (const source of SPELLINGS)
    expect([source, secretInRemote(source)]).not.toEqual([source, null]);
});

test('passes remotes that carry no credential: key files, switches, addresses', () => {
  for (const source of [
    'gdrive:',
    'gdrive:my folder/pass=1',
    ':sftp,host=127.0.0.1,user=root,key_file=/k,known_hosts_file=/kh:/',
    ':sftp,host=h,ask_password=false,key_use_agent=true:/',
    ':webdav,url="http://127.0.0.1:8080",user=bob:',
    ':swift,auth_url="https://auth.example.org/v3",auth_version=3:c',
    ':s3,no_check_bucket,provider=AWS:b'
  ])
    expect([source, secretInRemote(source)]).toEqual([source, null]);
});

test('redacts a credential from every kind of line a mount writes', () => {
  const lines = [
    ...SPELLINGS.map((s) => `rclone mount ${s} /mnt --vfs-cache-mode writes`),
    `ERROR : webdav root '': Failed: pass="${SECRET}"`,
    `url="http://bob:${SECRET}@127.0.0.1:1234/dav"`,
    `sftp://bob:${SECRET}@host/path`,
    `RCLONE_CONFIG_X_PASS=${SECRET} rclone ls x:`,
    `RCLONE_WEBDAV_BEARER_TOKEN='${SECRET}'`,
    `rclone mount x: /m --webdav-pass ${SECRET}`,
    `rclone mount x: /m --webdav-pass=${SECRET}`,
    `{"password": "${SECRET}"}`,
    `token: ${SECRET}`,
    `Authorization: Bearer ${SECRET}`,
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${SECRET}\n-----END OPENSSH PRIVATE KEY-----`
  ];
  for (const line of lines)
    expect([line, redact(line)]).not.toEqual([line, expect.stringContaining(SECRET)]);
});

test('redaction keeps what is no secret readable', () => {
  expect(redact('mounted gdrive:photos on /content/drive (pid 42)')).toBe(
    'mounted gdrive:photos on /content/drive (pid 42)'
  );
  expect(redact('url="http://bob:pw@h/x"')).toBe('url="http://bob:***@h/x"');
  expect(redact('pass=abc,user=bob')).toBe('pass=***,user=bob');
});

test('redaction leaves paths and ssh option names that merely contain "key" or "auth"', () => {
  expect(redact('cannot read the identity file /root/.ssh/nokey: ENOENT')).toBe(
    'cannot read the identity file /root/.ssh/nokey: ENOENT'
  );
  expect(redact('cannot read the identity file /keys/key: EACCES')).toBe(
    'cannot read the identity file /keys/key: EACCES'
  );
  const sshfs =
    'sshfs -p 22 -o StrictHostKeyChecking=yes -o PubkeyAuthentication=yes -o HostKeyAlias=h ' +
    '-o IdentityFile="/My Drive/key" -- root@h:/d /mnt';
  expect(redact(sshfs)).toBe(sshfs);
  expect(redact('rclone mount x: /m --sftp-key-file /k --sftp-key-use-agent=true')).toBe(
    'rclone mount x: /m --sftp-key-file /k --sftp-key-use-agent=true'
  );
  expect(redact('key_file=/k account_key=abc apiKey: abc client_secret=abc')).toBe(
    'key_file=/k account_key=*** apiKey: *** client_secret=***'
  );
});

test('redacts the password of an ssh-style user:password@host source', () => {
  expect(redact('mount root:hunter2@127.0.0.1:/d on /mnt failed')).toBe(
    'mount root:***@127.0.0.1:/d on /mnt failed'
  );
  expect(redact('mounted root@127.0.0.1:/d on /mnt (sshfs), ssh:folder on /m2')).toBe(
    'mounted root@127.0.0.1:/d on /mnt (sshfs), ssh:folder on /m2'
  );
});
